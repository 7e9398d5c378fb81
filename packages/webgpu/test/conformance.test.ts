import { runConformance } from '@stepwise/conformance';
import { cpuJs } from '@stepwise/cpu-js';
import { webgpu } from '../src/index.js';

// cpu-js in float64 is the reference of the cross-backend suite.
runConformance('webgpu', () => webgpu(), { reference: () => cpuJs() });
