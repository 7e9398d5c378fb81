/** Python's `repr` of the values that modules print in `extraRepr` (PyTorch's `print(model)`). */

/** A float as Python writes it: `0.1`, `1e-05`, `1.0`, `None` for null. */
export function pyFloat(v: number | null): string {
  if (v === null) return 'None';
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e16)) {
    // JS: '1e-5', '1.5e+20'; Python: '1e-05', '1.5e+20' (at least two exponent digits).
    const [mant, exp] = v.toExponential().split('e') as [string, string];
    const sign = exp.startsWith('-') ? '-' : '+';
    const digits = exp.replace(/^[+-]/, '');
    return `${mant}e${sign}${digits.padStart(2, '0')}`;
  }
  return String(v);
}

/** Python's `True` / `False`. */
export function pyBool(v: boolean): string {
  return v ? 'True' : 'False';
}

/** A Python tuple of integers: `(3,)`, `(2, 3)`. */
export function pyTuple(v: readonly (number | null)[]): string {
  const items = v.map((x) => (x === null ? 'None' : String(x)));
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}
