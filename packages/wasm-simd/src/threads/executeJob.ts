/**
 * One thread's share of a parallel job (see `jobs.ts` for each job's arguments). Runs on the
 * calling thread (share 0) and in every worker (shares 1..T-1); the worker gets this function
 * as source text, so it must stay self-contained: no imports, no closures over module
 * scope, plain JS once types are erased.
 *
 * Job arguments are int32 words, so a byte offset at or past 2 GiB reads back negative:
 * harmless passed to a wasm export, and put through `>>> 0` wherever JS makes a view of it.
 */
import type { Job } from './jobs.js';

export function executeJob(
  k: any,
  memory: WebAssembly.Memory,
  job: Job,
  w: number,
  T: number,
  fused: Map<number, (args: number, n: number) => void>,
): void {
  const buf = memory.buffer;
  /** This share's [lo, hi) of `total` items, in whole `unit`s. */
  const share = (total: number, unit: number): [number, number] => {
    const units = Math.ceil(total / unit);
    const lo = Math.floor((units * w) / T) * unit;
    const hi = Math.min(Math.floor((units * (w + 1)) / T) * unit, total);
    return [lo, hi];
  };
  switch (job.kind) {
    case 'gemm': {
      const j = job.args;
      const splitM = j.splitM === 1;
      const [lo, hi] = share(splitM ? j.m : j.n, splitM ? 4 : 8);
      if (hi <= lo) return;
      const scratch = j.scratch + w * j.scratchStride;
      for (let i = 0; i < j.batch; i++) {
        const A = j.a + i * j.aBatchBytes;
        const B = j.b + i * j.bBatchBytes;
        const C = j.c + i * j.cBatchBytes;
        if (splitM) {
          const a = A + lo * j.rsA * j.esz;
          k.gemm(
            j.dt,
            hi - lo,
            j.n,
            j.k,
            a,
            j.rsA,
            j.csA,
            B,
            j.rsB,
            j.csB,
            C + lo * j.ldc * j.esz,
            j.ldc,
            0,
            scratch,
          );
        } else {
          const b = B + lo * j.csB * j.esz;
          k.gemm(
            j.dt,
            j.m,
            hi - lo,
            j.k,
            A,
            j.rsA,
            j.csA,
            b,
            j.rsB,
            j.csB,
            C + lo * j.esz,
            j.ldc,
            0,
            scratch,
          );
        }
      }
      return;
    }
    case 'fused': {
      // Each share gets its own argument block: the buffer pointers advanced to its range.
      const j = job.args;
      const [lo, hi] = share(j.n, 16);
      if (hi <= lo) return;
      const i32 = new Int32Array(buf);
      const f64 = new Float64Array(buf);
      const own = j.perThread + w * j.perThreadStride;
      for (let i = 0; i < j.numBuffers; i++) i32[(own >>> 2) + i] = i32[(j.args >>> 2) + i] + lo * j.esz;
      for (let i = 0; i < j.numScalars; i++)
        f64[((own + j.scalarsOffset) >>> 3) + i] = f64[((j.args + j.scalarsOffset) >>> 3) + i];
      fused.get(j.id)!(own, hi - lo);
      return;
    }
    case 'compile': {
      const j = job.args;
      if (!fused.has(j.id)) {
        const bytes = new Uint8Array(buf, j.ptr >>> 0, j.bytes).slice();
        // Math functions come from this thread's kernels instance (`k`).
        const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory }, k });
        fused.set(j.id, inst.exports.run as (args: number, n: number) => void);
      }
      return;
    }
    case 'unary': {
      const j = job.args;
      const [lo, hi] = share(j.n, 16);
      if (hi <= lo) return;
      k.unary(j.op, j.dt, j.odt, j.x + lo * j.xEsz, j.out + lo * j.outEsz, hi - lo);
      return;
    }
    case 'binary': {
      // One collapsed dimension: this share's meta is [n, aStride, bStride] (and the walk's state).
      const j = job.args;
      const [lo, hi] = share(j.n, 16);
      if (hi <= lo) return;
      const meta = j.perThread + w * j.perThreadStride;
      const i32 = new Int32Array(buf);
      i32[meta >>> 2] = hi - lo;
      i32[(meta >>> 2) + 1] = j.aStride;
      i32[(meta >>> 2) + 2] = j.bStride;
      const a = j.a + lo * j.aStride * j.aEsz;
      const b = j.b + lo * j.bStride * j.bEsz;
      k.binary(j.op, j.adt, j.bdt, j.odt, a, b, j.out + lo * j.outEsz, 1, meta);
      return;
    }
    case 'pool': {
      const j = job.args;
      const [lo, hi] = share(j.channels, 1);
      if (hi <= lo) return;
      const i32 = new Int32Array(buf);
      const g = j.perThread + w * j.perThreadStride;
      for (let i = 0; i < 13; i++) i32[(g >>> 2) + i] = i32[(j.geometry >>> 2) + i];
      i32[g >>> 2] = hi - lo;
      const inOff = lo * j.inPlane * j.esz;
      const outOff = lo * j.outPlane * j.esz;
      const amOff = lo * j.outPlane * 4;
      if (j.which === 0) k.maxPool2d(j.dt, j.x + inOff, j.out + outOff, j.am + amOff, g);
      else k.maxPool2dBackward(j.dt, j.x + outOff, j.am + amOff, j.out + inOff, g);
      return;
    }
    case 'rows': {
      const j = job.args;
      const i32 = new Int32Array(buf);
      const src = j.meta >>> 2;
      const [lo, hi] = share(i32[src], j.unit);
      if (hi <= lo) return;
      const own = j.perThread + w * j.perThreadStride;
      const dst = own >>> 2;
      const operands = j.which === 0 ? 2 : 3;
      for (let i = 0; i < (1 + operands) * j.ndim; i++) i32[dst + i] = i32[src + i];
      i32[dst] = hi - lo;
      // Operand q's stride along dimension 0, in elements.
      const s0 = (q: number) => i32[src + (1 + q) * j.ndim];
      const p0 = j.p0 + lo * s0(0) * j.esz0;
      const p1 = j.p1 + lo * s0(1) * j.esz1;
      const out = j.out + lo * j.outRow * j.outEsz;
      if (j.which === 0) k.binary(j.op, j.dt0, j.dt1, j.odt, p0, p1, out, j.ndim, own);
      else k.where(j.dt0, j.odt, p0, p1, j.p2 + lo * s0(2) * j.esz2, out, j.ndim, own);
      return;
    }
    case 'reduce': {
      const j = job.args;
      const [lo, hi] = share(j.outer, 1);
      if (hi <= lo) return;
      k.reduce(
        j.op,
        j.dt,
        j.odt,
        j.x + lo * j.len * j.inner * j.xEsz,
        hi - lo,
        j.len,
        j.inner,
        j.out + lo * j.inner * j.outEsz,
        j.scratch + w * j.scratchStride,
      );
      return;
    }
    case 'zero': {
      // wasm's memory.fill: a typed array's fill on a shared memory is a relaxed atomic
      // store per byte in V8, many times slower.
      const j = job.args;
      const [lo, hi] = share(j.bytes >>> 0, 64);
      for (let p = lo; p < hi; p += 1 << 30) k.fill(j.u8, j.ptr + p, Math.min(1 << 30, hi - p), 0);
      return;
    }
    case 'conv': {
      const j = job.args;
      const [lo, hi] = share(j.batch, 1);
      if (hi <= lo) {
        // Share 0 owns the weight gradient's first write: zero it when it has no images.
        if (j.which === 2 && w === 0) k.fill(j.u8, j.out, j.outBytes, 0);
        return;
      }
      // This share's geometry: a copy of the 16 words with its own batch size.
      const i32 = new Int32Array(buf);
      const g = j.perThread + w * j.perThreadStride;
      for (let i = 0; i < 16; i++) i32[(g >>> 2) + i] = i32[(j.geometry >>> 2) + i];
      i32[g >>> 2] = hi - lo;
      const scratch = j.scratch + w * j.scratchStride;
      const inOff = lo * j.inImage * j.esz;
      const outOff = lo * j.outImage * j.esz;
      if (j.which === 0) k.conv2d(j.dt, j.a + inOff, j.b, j.out + outOff, g, scratch);
      else if (j.which === 1) k.conv2dBackwardInput(j.dt, j.a + outOff, j.b, j.out + inOff, g, scratch);
      else {
        const gw = w === 0 ? j.out : j.partials + (w - 1) * j.partialBytes;
        k.conv2dBackwardWeight(j.dt, j.a + outOff, j.b + inOff, gw, g, scratch);
      }
      return;
    }
  }
}
