/**
 * Runs a fused program on tensors: the one door from optimizers to `Backend.fused`.
 */
import type { FusedTensorArgs } from './backend.js';
import { shapeStr, ValueError } from './errors.js';
import type { FusedProgram } from './fused.js';
import type { Tensor } from './tensor.js';

/** One tensor's buffers (param first, then grad and state, in the program's order) and scalars. */
export interface FusedTensors {
  readonly buffers: readonly Tensor[];
  readonly scalars: ArrayLike<number>;
}

/**
 * Validates sizes, dtypes and backends, calls the backend once for all entries, and bumps
 * the version counter of every buffer the program stores to (in-place writes).
 */
export function runFused(program: FusedProgram, entries: readonly FusedTensors[]): void {
  if (entries.length === 0) return;
  const backend = entries[0]!.buffers[0]!.backend;
  const written = [...new Set(program.body.flatMap((s) => (s.kind === 'store' ? [s.buffer] : [])))];
  const args: FusedTensorArgs[] = entries.map(({ buffers, scalars }) => {
    if (buffers.length !== program.buffers.length) {
      throw new ValueError(
        `fused program '${program.name}' takes ${program.buffers.length} buffers (${program.buffers.join(', ')}), got ${buffers.length}`,
      );
    }
    if (scalars.length !== program.scalars.length) {
      throw new ValueError(
        `fused program '${program.name}' takes ${program.scalars.length} scalars (${program.scalars.join(', ')}), got ${scalars.length}`,
      );
    }
    const first = buffers[0]!;
    buffers.forEach((b, i) => {
      // Views share a storage of exactly their numel (every tensor is contiguous), so the
      // storage is the tensor; check it anyway, a wrong size would corrupt memory on wasm.
      if (b.storage.size !== b.numel()) {
        throw new ValueError(
          `fused program '${program.name}': buffer '${program.buffers[i]}' does not own a contiguous storage`,
        );
      }
      if (b.numel() !== first.numel() || b.dtype !== first.dtype || b.backend !== backend) {
        throw new ValueError(
          `fused program '${program.name}': buffer '${program.buffers[i]}' is ${b.dtype} ${shapeStr(b.shape)} on '${b.backend.name}', expected ${first.dtype} ${shapeStr(first.shape)} on '${backend.name}'`,
        );
      }
    });
    return { buffers: buffers.map((b) => b.storage), scalars };
  });
  backend.fused(program, args);
  for (const { buffers } of entries) for (const i of written) buffers[i]!._bumpVersion();
}
