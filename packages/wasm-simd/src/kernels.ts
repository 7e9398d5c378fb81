/** The exports of build/kernels.wasm (assembly/index.ts), as JS sees them. */
export interface Kernels {
  heapBase(): number;
  cast(dt: number, odt: number, x: number, out: number, n: number): void;
  copy(esz: number, src: number, out: number, ndim: number, meta: number): void;
  fill(dt: number, out: number, n: number, v: number): void;
  unary(op: number, dt: number, odt: number, x: number, out: number, n: number): void;
  binary(
    op: number,
    adt: number,
    bdt: number,
    odt: number,
    a: number,
    b: number,
    out: number,
    ndim: number,
    meta: number,
  ): void;
  where(
    cdt: number,
    dt: number,
    c: number,
    a: number,
    b: number,
    out: number,
    ndim: number,
    meta: number,
  ): void;
  reduce(
    op: number,
    dt: number,
    odt: number,
    x: number,
    outer: number,
    len: number,
    inner: number,
    out: number,
    scratch: number,
  ): void;
  reduceScratchBytes(inner: number): number;
  gemm(
    dt: number,
    m: number,
    n: number,
    k: number,
    a: number,
    rsA: number,
    csA: number,
    b: number,
    rsB: number,
    csB: number,
    c: number,
    ldc: number,
    accumulate: number,
    scratch: number,
  ): void;
  gemmScratchBytes(m: number, n: number, k: number, esz: number): number;
  conv2d(dt: number, x: number, w: number, out: number, g: number, scratch: number): void;
  conv2dBackwardInput(dt: number, gout: number, w: number, gx: number, g: number, scratch: number): void;
  conv2dBackwardWeight(dt: number, gout: number, x: number, gw: number, g: number, scratch: number): void;
  convScratchBytes(g: number, esz: number): number;
  maxPool2d(dt: number, x: number, out: number, am: number, g: number): void;
  maxPool2dBackward(dt: number, gout: number, am: number, gx: number, g: number): void;
  indexSelect(
    esz: number,
    x: number,
    index: number,
    nIdx: number,
    out: number,
    outer: number,
    len: number,
    inner: number,
  ): void;
  indexAdd(
    dt: number,
    out: number,
    index: number,
    nIdx: number,
    src: number,
    outer: number,
    len: number,
    inner: number,
  ): void;
  gather(
    esz: number,
    x: number,
    index: number,
    out: number,
    outer: number,
    lenX: number,
    lenIdx: number,
    inner: number,
  ): void;
  scatterAdd(
    dt: number,
    out: number,
    index: number,
    src: number,
    outer: number,
    lenOut: number,
    lenIdx: number,
    inner: number,
  ): void;
}
