/**
 * Printing a tensor as PyTorch's `repr` does (torch/_tensor_str.py): `String(t)`,
 * `t.toString()`, `` `${t}` `` and `console.log(t)` in Node give
 *
 *   tensor([[1.5000, 2.0000],
 *           [3.0000, 4.0000]])
 *
 * PyTorch's rules, reproduced here: precision 4; "int mode" (`1.`, `2.`) when every finite
 * value is integral; scientific mode when the largest/smallest nonzero finite magnitudes
 * differ by more than 1000×, or the largest is above 1e8, or (not in int mode) the smallest
 * is below 1e-4; every element padded to the widest; Python's rounding (exact ties to even)
 * and spellings (`nan`, `inf`, `-0.`, `1.0000e-05`); summarisation above `threshold` (1000)
 * elements with `...` and `edgeitems` (3) items at each end of every dimension; 1-D rows
 * wrapped at `linewidth` (80); blank lines between the blocks of 3-D and higher tensors; the
 * suffixes `dtype=torch.float64` (float32, int32 and bool print none: int32 stands for
 * PyTorch's int64), `size=(0, 3)` for empty tensors, `grad_fn=<AddBackward0>` or
 * `requires_grad=True`, moved to a new line when the last line would pass `linewidth`.
 * `torch.setPrintOptions` is PyTorch's `set_printoptions`.
 *
 * The values need a synchronous read. On a backend without one (webgpu), `String(t)` prints
 * what it knows without reading:
 *
 *   tensor(<size=(2, 3), dtype=torch.float32, on webgpu: print await t.toStringAsync() for the values>)
 *
 * and `await t.toStringAsync()` prints the values on every backend. Printing never throws: a
 * disposed tensor prints `tensor(<disposed: size=(2, 3), dtype=torch.float32>)`.
 */
import type { DType } from './dtype.js';
import type { Tensor } from './tensor.js';

/** Node's `util.inspect.custom` (`console.log(t)`), by its registered name: core imports no `node:` module. */
export const inspectCustom: unique symbol = Symbol.for('nodejs.util.inspect.custom');

/** PyTorch's print options (`torch._tensor_str.PRINT_OPTS`). */
export interface PrintOptions {
  /** Digits after the decimal point (default 4). */
  precision: number;
  /** Tensors with more elements are summarised with `...` (default 1000; `Infinity` never). */
  threshold: number;
  /** Items kept at the start and the end of each summarised dimension (default 3). */
  edgeitems: number;
  /** Characters per line for wrapping rows and suffixes (default 80). */
  linewidth: number;
  /** Scientific notation forced on (true), off (false), or chosen per tensor (null, the default). */
  sciMode: boolean | null;
}

/** `torch.setPrintOptions` options: PyTorch's `set_printoptions` arguments, camelCase. */
export interface SetPrintOptions {
  /** Digits after the decimal point (PyTorch's default 4). */
  precision?: number;
  /** Tensors with more elements than this print summarised (PyTorch's default 1000). */
  threshold?: number;
  /** Items shown at each end of a summarised dimension (PyTorch's default 3). */
  edgeitems?: number;
  /** Characters per line before wrapping (PyTorch's default 80). */
  linewidth?: number;
  /** Sane defaults, overridden by the other options: 'default', 'short' or 'full'. */
  profile?: 'default' | 'short' | 'full';
  /**
   * Force scientific notation (`true`), forbid it (`false`), or choose automatically (`null`); PyTorch's
   * `sci_mode`.
   */
  sciMode?: boolean | null;
}

const DEFAULTS: PrintOptions = { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80, sciMode: null };
const PRINT_OPTS: PrintOptions = { ...DEFAULTS };

function checkCount(name: string, v: unknown, allowInfinity = false): number {
  if (
    typeof v !== 'number' ||
    Number.isNaN(v) ||
    v < 0 ||
    (!Number.isInteger(v) && !(allowInfinity && v === Infinity))
  ) {
    throw new TypeError(
      `setPrintOptions: ${name} must be a non-negative integer${allowInfinity ? ' or Infinity' : ''}, got ${String(v)}`,
    );
  }
  return v;
}

/**
 * PyTorch's `torch.set_printoptions`: `precision`, `threshold`, `edgeitems`, `linewidth`,
 * `profile` ('default' | 'short' | 'full') and `sciMode`. As in PyTorch, every call sets
 * `sciMode` (to null when not given), and `profile` is applied first.
 */
export function setPrintOptions(options: SetPrintOptions = {}): void {
  const o = options ?? {};
  const next: PrintOptions = { ...PRINT_OPTS };
  if (o.profile !== undefined) {
    if (o.profile === 'default')
      Object.assign(next, { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80 });
    else if (o.profile === 'short')
      Object.assign(next, { precision: 2, threshold: 1000, edgeitems: 2, linewidth: 80 });
    else if (o.profile === 'full')
      Object.assign(next, { precision: 4, threshold: Infinity, edgeitems: 3, linewidth: 80 });
    else
      throw new TypeError(
        `setPrintOptions: profile must be 'default', 'short' or 'full', got ${String(o.profile)}`,
      );
  }
  if (o.precision !== undefined) next.precision = checkCount('precision', o.precision);
  if (o.threshold !== undefined) next.threshold = checkCount('threshold', o.threshold, true);
  if (o.edgeitems !== undefined) next.edgeitems = checkCount('edgeitems', o.edgeitems);
  if (o.linewidth !== undefined) next.linewidth = checkCount('linewidth', o.linewidth);
  if (o.sciMode !== undefined && o.sciMode !== null && typeof o.sciMode !== 'boolean') {
    throw new TypeError(`setPrintOptions: sciMode must be true, false or null, got ${String(o.sciMode)}`);
  }
  next.sciMode = o.sciMode ?? null;
  Object.assign(PRINT_OPTS, next);
}

/** The current print options (a copy). */
export function getPrintOptions(): PrintOptions {
  return { ...PRINT_OPTS };
}

// ---- Python's number formatting ----

const f64 = new DataView(new ArrayBuffer(8));

/** A positive finite double as `m · 2^e`, exactly. */
function decompose(a: number): [bigint, number] {
  f64.setFloat64(0, a);
  const hi = f64.getUint32(0);
  const lo = f64.getUint32(4);
  const bits = (hi >>> 20) & 0x7ff;
  const m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  return bits === 0 ? [m, -1074] : [m | (1n << 52n), bits - 1075];
}

/** `num / den` rounded to the nearest integer, exact ties to even. */
function roundHalfEven(num: bigint, den: bigint): bigint {
  const q = num / den;
  const r2 = (num - q * den) * 2n;
  return r2 > den || (r2 === den && q % 2n === 1n) ? q + 1n : q;
}

/** `round(a · 10^k)` for a positive finite double, exactly. */
function scaled(a: number, k: number): bigint {
  const [m, e] = decompose(a);
  let num = m;
  let den = 1n;
  if (k >= 0) num *= 10n ** BigInt(k);
  else den *= 10n ** BigInt(-k);
  if (e >= 0) num <<= BigInt(e);
  else den <<= BigInt(-e);
  return roundHalfEven(num, den);
}

function nonFinite(x: number): string {
  return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
}

/** Python's `'{:.pf}'.format(x)`. */
export function pyFixed(x: number, p: number): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const a = Math.abs(x);
  // toFixed is exact except that it breaks ties upwards; a tie needs a · 2^(p+1) integral.
  if (a < 1e21 && p <= 100 && !Number.isInteger(a * 2 ** (p + 1))) return sign + a.toFixed(p);
  const digits = (a === 0 ? 0n : scaled(a, p)).toString().padStart(p + 1, '0');
  return sign + (p > 0 ? `${digits.slice(0, -p)}.${digits.slice(-p)}` : digits);
}

/** Python's `'{:.pe}'.format(x)`. */
export function pyExp(x: number, p: number): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const a = Math.abs(x);
  let exp = 0;
  let q = 0n;
  if (a !== 0) {
    const lo = 10n ** BigInt(p);
    const hi = lo * 10n;
    exp = Math.floor(Math.log10(a));
    for (;;) {
      q = scaled(a, p - exp);
      if (q >= hi) exp++;
      else if (q < lo) exp--;
      else break;
    }
  }
  const d = q.toString().padStart(p + 1, '0');
  const mant = p > 0 ? `${d[0]}.${d.slice(1)}` : d;
  return `${sign}${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

// ---- PyTorch's _Formatter ----

class Formatter {
  readonly floating: boolean;
  readonly bool: boolean;
  intMode = true;
  sciMode = false;
  width = 1;

  constructor(
    values: readonly number[],
    dtype: DType,
    private readonly o: PrintOptions,
  ) {
    this.floating = dtype === 'float32' || dtype === 'float64';
    this.bool = dtype === 'bool';
    if (!this.floating) {
      for (const v of values) this.width = Math.max(this.width, this.plain(v).length);
      return;
    }
    const finite = values.filter((v) => Number.isFinite(v) && v !== 0);
    if (finite.length === 0) return; // PyTorch returns before applying sciMode here.
    let min = Infinity;
    let max = 0;
    for (const v of finite) {
      const a = Math.abs(v);
      if (a < min) min = a;
      if (a > max) max = a;
    }
    this.intMode = finite.every((v) => v === Math.ceil(v));
    const p = o.precision;
    if (this.intMode) {
      if (max / min > 1000 || max > 1e8) {
        this.sciMode = true;
        for (const v of finite) this.width = Math.max(this.width, pyExp(v, p).length);
      } else {
        for (const v of finite) this.width = Math.max(this.width, pyFixed(v, 0).length + 1);
      }
    } else if (max / min > 1000 || max > 1e8 || min < 1e-4) {
      this.sciMode = true;
      for (const v of finite) this.width = Math.max(this.width, pyExp(v, p).length);
    } else {
      for (const v of finite) this.width = Math.max(this.width, pyFixed(v, p).length);
    }
    if (o.sciMode !== null) this.sciMode = o.sciMode;
  }

  private plain(v: number): string {
    return this.bool ? (v ? 'True' : 'False') : String(v);
  }

  format(v: number): string {
    let s: string;
    if (!this.floating) s = this.plain(v);
    else if (this.sciMode) s = pyExp(v, this.o.precision);
    else if (this.intMode) s = Number.isFinite(v) ? `${pyFixed(v, 0)}.` : nonFinite(v);
    else s = pyFixed(v, this.o.precision);
    return s.padStart(this.width, ' ');
  }
}

// ---- layout ----

interface Layout {
  readonly values: ArrayLike<number>;
  readonly shape: readonly number[];
  readonly strides: number[];
  readonly summarize: boolean;
  readonly o: PrintOptions;
}

/** The indices PyTorch keeps along a dimension of size n: all, or the edges (`null` marks `...`). */
function kept(n: number, summarize: boolean, edge: number, vector: boolean): (number | null)[] {
  const all = (from: number, to: number) =>
    Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
  if (!summarize || n <= 2 * edge) return all(0, n);
  // Python's `x[-0:]` is the whole of x: PyTorch keeps every item at the end when edgeitems is 0.
  const tail = vector && edge === 0 ? all(0, n) : all(n - edge, n);
  return [...all(0, edge), null, ...tail];
}

/** PyTorch's `get_summarized_data`: the values the formatter sees. */
function summarizedValues(L: Layout): number[] {
  const out: number[] = [];
  const walk = (offset: number, d: number) => {
    if (d === L.shape.length) {
      out.push(L.values[offset]!);
      return;
    }
    const vector = d === L.shape.length - 1;
    for (const i of kept(L.shape[d]!, L.summarize, L.o.edgeitems, vector)) {
      if (i !== null) walk(offset + i * L.strides[d]!, d + 1);
    }
  };
  walk(0, 0);
  return out;
}

function tensorStr(L: Layout, fmt: Formatter, offset: number, d: number, indent: number): string {
  const { shape, o } = L;
  if (d === shape.length) return fmt.format(L.values[offset]!);
  const items = kept(shape[d]!, L.summarize, o.edgeitems, d === shape.length - 1);
  if (d === shape.length - 1) {
    const data = items.map((i) => (i === null ? ' ...' : fmt.format(L.values[offset + i]!)));
    const perLine = Math.max(1, Math.floor((o.linewidth - indent) / (fmt.width + 2)));
    const lines: string[] = [];
    for (let i = 0; i < data.length; i += perLine) lines.push(data.slice(i, i + perLine).join(', '));
    return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
  }
  const slices = items.map((i) =>
    i === null ? '...' : tensorStr(L, fmt, offset + i * L.strides[d]!, d + 1, indent + 1),
  );
  return `[${slices.join(`,${'\n'.repeat(shape.length - d - 1)}${' '.repeat(indent + 1)}`)}]`;
}

/** PyTorch's `_tensor_str`: the bracketed values of a non-empty tensor. */
function valuesStr(
  values: ArrayLike<number>,
  shape: readonly number[],
  dtype: DType,
  indent: number,
): string {
  const o = { ...PRINT_OPTS };
  const numel = values.length;
  const strides = new Array<number>(shape.length);
  for (let d = shape.length - 1, s = 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  const L: Layout = { values, shape, strides, summarize: numel > o.threshold, o };
  const fmt = new Formatter(L.summarize ? summarizedValues(L) : Array.from(values), dtype, o);
  return tensorStr(L, fmt, 0, 0, indent);
}

/** Python's `str(tuple(shape))`. */
export function pyShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

function addSuffixes(str: string, suffixes: string[], indent: number): string {
  const parts = [str];
  let lastLineLen = str.length - str.lastIndexOf('\n') + 1;
  for (const s of suffixes) {
    if (lastLineLen + s.length + 2 > PRINT_OPTS.linewidth) {
      parts.push(`,\n${' '.repeat(indent)}${s}`);
      lastLineLen = indent + s.length;
    } else {
      parts.push(`, ${s}`);
      lastLineLen += s.length + 2;
    }
  }
  parts.push(')');
  return parts.join('');
}

function gradSuffix(t: Tensor): string[] {
  const fn = t.gradFn;
  if (fn) return [`grad_fn=<${fn.name}>`];
  return t.requiresGrad ? ['requires_grad=True'] : [];
}

const PREFIX = 'tensor(';

/** The repr of `t` given its values (row-major), or `null` where they cannot be read now. */
function repr(t: Tensor, values: ArrayLike<number> | null): string {
  const shape = t.shape;
  const numel = shape.reduce((a, b) => a * b, 1);
  const suffixes: string[] = [];
  let body: string;
  if (numel === 0) {
    if (shape.length !== 1) suffixes.push(`size=${pyShape(shape)}`);
    if (t.dtype !== 'float32') suffixes.push(`dtype=torch.${t.dtype}`);
    body = '[]';
  } else if (values === null) {
    body = `<size=${pyShape(shape)}, dtype=torch.${t.dtype}, on ${t.backend.name}: print await t.toStringAsync() for the values>`;
  } else {
    if (t.dtype === 'float64') suffixes.push('dtype=torch.float64');
    body = valuesStr(values, shape, t.dtype, PREFIX.length);
  }
  suffixes.push(...gradSuffix(t));
  return addSuffixes(PREFIX + body, suffixes, PREFIX.length);
}

function disposed(t: Tensor): string {
  return `tensor(<disposed: size=${pyShape(t.shape)}, dtype=torch.${t.dtype}>)`;
}

function unprintable(e: unknown): string {
  return `tensor(<unprintable: ${e instanceof Error ? e.message : String(e)}>)`;
}

/** `String(t)`: PyTorch's `repr(t)`; a placeholder where the values need an async read. Never throws. */
export function formatTensor(t: Tensor): string {
  try {
    if (t.isDisposed) return disposed(t);
    const sync = t.backend.syncReads && t.numel() > 0;
    return repr(t, sync ? t.dataSync() : null);
  } catch (e) {
    return unprintable(e);
  }
}

/** `await t.toStringAsync()`: PyTorch's `repr(t)` on every backend (the values are read asynchronously). */
export async function formatTensorAsync(t: Tensor): Promise<string> {
  try {
    if (t.isDisposed) return disposed(t);
    return repr(t, t.numel() > 0 ? await t.data() : null);
  } catch (e) {
    return unprintable(e);
  }
}
