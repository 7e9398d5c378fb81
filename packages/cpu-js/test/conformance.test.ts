import { runConformance } from '@stepwise/conformance';
import { cpuJs } from '../src/index.js';

runConformance('cpu-js', () => cpuJs());
