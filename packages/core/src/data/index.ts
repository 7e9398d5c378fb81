/** `torch.utils.data`: datasets and the batching loader. */
export { DataLoader, type DataLoaderOptions } from './dataLoader.js';
export { type Dataset, TensorDataset } from './dataset.js';
