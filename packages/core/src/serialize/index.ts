/** `torch.save` / `torch.load`: stepwise's checkpoint format (`checkpointFormat.ts`), PyTorch's .pt files (`pytorch/`) and safetensors. */

export { CheckpointError, FORMAT_VERSION } from './checkpointFormat.js';
export { detectFormat, load } from './load.js';
export { loadSafetensors } from './safetensors.js';
export { type CheckpointFormat, type SaveOptions, save, saveAsync } from './save.js';
