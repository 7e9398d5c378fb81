/** `torch.save` / `torch.load`: the versioned checkpoint format of `format.ts`. */

export { CheckpointError, FORMAT_VERSION } from './format.js';
export { load } from './load.js';
export { save, saveAsync } from './save.js';
