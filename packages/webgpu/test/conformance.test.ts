import { runConformance } from '@stepwise/conformance';
import { webgpu } from '../src/index.js';

runConformance('webgpu', () => webgpu());
