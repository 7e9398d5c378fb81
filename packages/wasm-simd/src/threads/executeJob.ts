/**
 * One thread's share of a parallel job. Runs on the calling thread (share 0) and in every
 * worker (shares 1..T-1); the worker gets this function as source text, so it must stay
 * self-contained: no imports, no closures, plain JS once types are erased.
 *
 * The job lives in the control block at `ctlByte` (i32 words): [0] epoch, [1] workers still
 * running, [2] kind, [3..] arguments. Kinds: 1 gemm (split along M in 4-row units or along N
 * in 8-column units), 2 fused program (split in 16-element units, each share with its own
 * argument block), 3 compile a fused program from bytes in memory, 4 unary (16-element units),
 * 5 conv2d forward / backward-input / backward-weight split by batch (each share with its
 * own geometry copy and scratch; backward-weight shares past the first write partial sums
 * that the caller adds up), 6 binary op over one collapsed dimension (16-element units).
 *
 * Words are int32, so a byte offset at or past 2 GiB reads back negative. Passed to a wasm
 * export that is harmless (wasm takes the low 32 bits, and sums of offsets wrap the same
 * way); wherever JS itself uses one (a typed-array view, an index) it goes through `>>>`.
 */
export function executeJob(
  k: any,
  memory: WebAssembly.Memory,
  ctlByte: number,
  w: number,
  T: number,
  fused: Map<number, (args: number, n: number) => void>,
): void {
  const buf = memory.buffer;
  const c = new Int32Array(buf, ctlByte, 32);
  const kind = c[2];
  const share = (total: number, unit: number): [number, number] => {
    const units = Math.ceil(total / unit);
    const lo = Math.floor((units * w) / T) * unit;
    const hi = Math.min(Math.floor((units * (w + 1)) / T) * unit, total);
    return [lo, hi];
  };
  if (kind === 1) {
    const dt = c[3];
    const m = c[4];
    const n = c[5];
    const kk = c[6];
    const a = c[7];
    const rsA = c[8];
    const csA = c[9];
    const b = c[10];
    const rsB = c[11];
    const csB = c[12];
    const cc = c[13];
    const ldc = c[14];
    const scratch = c[15] + w * c[16];
    const splitM = c[17] === 1;
    const batch = c[18];
    const esz = c[22];
    const [lo, hi] = share(splitM ? m : n, splitM ? 4 : 8);
    if (hi <= lo) return;
    for (let i = 0; i < batch; i++) {
      const A = a + i * c[19];
      const B = b + i * c[20];
      const C = cc + i * c[21];
      if (splitM)
        k.gemm(
          dt,
          hi - lo,
          n,
          kk,
          A + lo * rsA * esz,
          rsA,
          csA,
          B,
          rsB,
          csB,
          C + lo * ldc * esz,
          ldc,
          0,
          scratch,
        );
      else
        k.gemm(dt, m, hi - lo, kk, A, rsA, csA, B + lo * csB * esz, rsB, csB, C + lo * esz, ldc, 0, scratch);
    }
  } else if (kind === 2) {
    const id = c[3];
    const nb = c[4];
    const n = c[5];
    const esz = c[6];
    const args = c[7];
    const sOff = c[8];
    const ns = c[9];
    const priv = c[10] + w * c[11];
    const [lo, hi] = share(n, 16);
    if (hi <= lo) return;
    const i32 = new Int32Array(buf);
    const f64 = new Float64Array(buf);
    for (let j = 0; j < nb; j++) i32[(priv >>> 2) + j] = i32[(args >>> 2) + j] + lo * esz;
    for (let j = 0; j < ns; j++) f64[((priv + sOff) >>> 3) + j] = f64[((args + sOff) >>> 3) + j];
    fused.get(id)!(priv, hi - lo);
  } else if (kind === 3) {
    const id = c[3];
    if (!fused.has(id)) {
      const bytes = new Uint8Array(buf, c[4] >>> 0, c[5]).slice();
      const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
      fused.set(id, inst.exports.run as (args: number, n: number) => void);
    }
  } else if (kind === 5) {
    const which = c[3];
    const dt = c[4];
    const esz = c[5];
    const [lo, hi] = share(c[14], 1);
    if (hi <= lo) {
      // Share 0 owns the weight gradient's first write: zero it when it has no images.
      if (which === 2 && w === 0) new Uint8Array(buf, c[8] >>> 0, c[19] >>> 0).fill(0);
      return;
    }
    const i32 = new Int32Array(buf);
    const priv = c[12] + w * c[13];
    for (let j = 0; j < 16; j++) i32[(priv >>> 2) + j] = i32[(c[9] >>> 2) + j];
    i32[priv >>> 2] = hi - lo;
    const scratch = c[10] + w * c[11];
    const inOff = lo * c[15] * esz;
    const outOff = lo * c[16] * esz;
    if (which === 0) k.conv2d(dt, c[6] + inOff, c[7], c[8] + outOff, priv, scratch);
    else if (which === 1) k.conv2dBackwardInput(dt, c[6] + outOff, c[7], c[8] + inOff, priv, scratch);
    else
      k.conv2dBackwardWeight(
        dt,
        c[6] + outOff,
        c[7] + inOff,
        w === 0 ? c[8] : c[17] + (w - 1) * c[18],
        priv,
        scratch,
      );
  } else if (kind === 6) {
    const [lo, hi] = share(c[10], 16);
    if (hi <= lo) return;
    const sa = c[11];
    const sb = c[12];
    const meta = c[16] + w * c[17];
    const i32 = new Int32Array(buf);
    i32[meta >>> 2] = hi - lo;
    i32[(meta >>> 2) + 1] = sa;
    i32[(meta >>> 2) + 2] = sb;
    k.binary(
      c[3],
      c[4],
      c[5],
      c[6],
      c[7] + lo * sa * c[13],
      c[8] + lo * sb * c[14],
      c[9] + lo * c[15],
      1,
      meta,
    );
  } else if (kind === 4) {
    const [lo, hi] = share(c[8], 16);
    if (hi <= lo) return;
    k.unary(c[3], c[4], c[5], c[6] + lo * c[9], c[7] + lo * c[10], hi - lo);
  }
}
