/**
 * A best-fit heap over one `WebAssembly.Memory`, managed from JS (the kernels never
 * allocate). Blocks are 64-byte aligned and sized in 64-byte steps, so SIMD loops may run
 * over a whole last vector of any buffer, and every buffer starts on a cache line.
 *
 * Growth is rare and large on purpose: every `Memory.grow` detaches the old ArrayBuffer, and
 * in V8 that leaves plain-JS typed-array loops elsewhere in the process measurably slower
 * for good. So the memory starts big (256 MiB by default; pages are only committed when
 * touched) and at least doubles when it must grow.
 */
import { WasmOutOfMemoryError } from './errors.js';

const PAGE = 65536;
export const ALIGN = 64;
const MAX_PAGES = 65536; // 4 GiB, the wasm32 limit

export class Heap {
  /** Free blocks, sorted by offset, never adjacent (they are coalesced). */
  private readonly freeOff: number[] = [];
  private readonly freeSize: number[] = [];
  /** First byte past the highest block ever handed out (memory above it is still zero). */
  private top: number;
  private cleanFrom: number;
  /** Called after the memory grew, so views can be rebuilt. */
  onGrow: () => void = () => {};

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly start: number,
  ) {
    this.top = start;
    this.cleanFrom = start;
  }

  static roundUp(bytes: number): number {
    return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  }

  /**
   * Zero-fills `bytes` bytes at `off` (reused memory handed out by `alloc`). The runtime
   * replaces it to split large fills across its worker pool.
   */
  zero: (off: number, bytes: number) => void = (off, bytes) => {
    new Uint8Array(this.memory.buffer, off, bytes).fill(0);
  };

  /**
   * Allocates `bytes` (rounded up to 64), zero-filled unless `zeroFill` is false (then a reused
   * block keeps what it held); returns the byte offset. `what` names the allocation in an
   * out-of-memory error (a tensor's dtype and element count), or makes that name: a
   * function is called only for the error, so a hot allocation builds no string.
   */
  alloc(bytes: number, what?: string | (() => string), zeroFill = true): number {
    const need = Heap.roundUp(bytes);
    let best = -1;
    let bestSize = Number.POSITIVE_INFINITY;
    const sizes = this.freeSize;
    for (let i = 0; i < sizes.length; i++) {
      const s = sizes[i]!;
      if (s >= need && s < bestSize) {
        best = i;
        bestSize = s;
        if (s === need) break;
      }
    }
    let off: number;
    if (best >= 0) {
      off = this.freeOff[best]!;
      if (bestSize === need) {
        this.freeOff.splice(best, 1);
        this.freeSize.splice(best, 1);
      } else {
        this.freeOff[best] = off + need;
        this.freeSize[best] = bestSize - need;
      }
    } else {
      // Extend the top, reusing a free block that ends at the top.
      const n = this.freeOff.length;
      if (n > 0 && this.freeOff[n - 1]! + this.freeSize[n - 1]! === this.top) {
        off = this.freeOff[n - 1]!;
        this.freeOff.pop();
        this.freeSize.pop();
        this.top = off;
      } else off = this.top;
      this.ensure(off + need, what);
      this.top = off + need;
    }
    // Memory past `cleanFrom` has never been written: it is still zero.
    if (zeroFill && off < this.cleanFrom) this.zero(off, Math.min(need, this.cleanFrom - off));
    if (off + need > this.cleanFrom) this.cleanFrom = off + need;
    return off;
  }

  /** Returns a block (`bytes` as given to alloc) to the heap. */
  free(off: number, bytes: number): void {
    let size = Heap.roundUp(bytes);
    const offs = this.freeOff;
    const sizes = this.freeSize;
    // Binary search for the insertion point.
    let lo = 0;
    let hi = offs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (offs[mid]! < off) lo = mid + 1;
      else hi = mid;
    }
    let start = off;
    // Merge with the previous block.
    if (lo > 0 && offs[lo - 1]! + sizes[lo - 1]! === off) {
      lo--;
      start = offs[lo]!;
      size += sizes[lo]!;
      offs.splice(lo, 1);
      sizes.splice(lo, 1);
    }
    // Merge with the next block.
    if (lo < offs.length && start + size === offs[lo]!) {
      size += sizes[lo]!;
      offs.splice(lo, 1);
      sizes.splice(lo, 1);
    }
    if (start + size === this.top) {
      this.top = start;
      return;
    }
    offs.splice(lo, 0, start);
    sizes.splice(lo, 0, size);
  }

  /** Bytes of the memory in use by the heap's top (live blocks plus holes). */
  get extent(): number {
    return this.top;
  }

  /** The largest block the heap could ever hand out: the 4 GiB limit less what lies below it. */
  get capacity(): number {
    return MAX_PAGES * PAGE - this.start;
  }

  private ensure(end: number, what?: string | (() => string)): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const havePages = have / PAGE;
    const needPages = Math.ceil(end / PAGE);
    const bytes = end - this.top;
    const allocating = (typeof what === 'function' ? what() : what) ?? `${bytes} bytes`;
    if (needPages > MAX_PAGES) {
      throw new WasmOutOfMemoryError(
        `wasm-simd: out of memory allocating ${allocating}: ${this.top - this.start} bytes of ` +
          `the heap are in use (live tensors, holes between them, scratch) and it cannot grow ` +
          `past this backend's limit of 4 GiB; dispose unused tensors (t.dispose(), torch.tidy)`,
      );
    }
    const target = Math.min(MAX_PAGES, Math.max(needPages, havePages * 2));
    try {
      this.memory.grow(target - havePages);
    } catch {
      try {
        this.memory.grow(needPages - havePages);
      } catch {
        throw new WasmOutOfMemoryError(
          `wasm-simd: out of memory allocating ${allocating}: the engine refused to grow the ` +
            `WebAssembly memory from ${have} to ${needPages * PAGE} bytes; dispose unused ` +
            'tensors (t.dispose(), torch.tidy)',
        );
      }
    }
    this.onGrow();
  }
}
