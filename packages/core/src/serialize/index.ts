/** `torch.save` / `torch.load`: the versioned checkpoint format of `checkpointFormat.ts`. */

export { CheckpointError, FORMAT_VERSION } from './checkpointFormat.js';
export { load } from './load.js';
export { save, saveAsync } from './save.js';
