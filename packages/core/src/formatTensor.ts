import type { Tensor } from './tensor.js';

/** `String(t)`: PyTorch-like `tensor([...], dtype=...)`, values only where a sync read is possible. */
export function formatTensor(t: Tensor): string {
  if (t.isDisposed) return `tensor(<disposed>, shape=[${t.shape.join(', ')}], dtype=${t.dtype})`;
  const head = `shape=[${t.shape.join(', ')}], dtype=${t.dtype}, backend=${t.backend.name}`;
  if (!t.backend.syncReads || t.numel() > 1000) return `tensor(<${head}>)`;
  const grad = t.gradFn ? `, gradFn=<${t.gradFn.name}>` : t.requiresGrad ? ', requiresGrad=true' : '';
  return `tensor(${JSON.stringify(t.tolist())}, dtype=${t.dtype}${grad})`;
}
