/**
 * A plain-text line chart for the terminal: each series is drawn with its own character on
 * a small grid, y on a linear or log scale. Good enough to see a loss curve go down
 * without opening the SVG.
 */
export interface TermSeries {
  readonly name: string;
  readonly y: ArrayLike<number>;
}

const MARKS = ['*', 'o', '+', 'x', '#', '@', '%', '&'];

export function termChart(
  series: readonly TermSeries[],
  opts: { width?: number; height?: number; logY?: boolean } = {},
): string {
  const width = opts.width ?? 64;
  const height = opts.height ?? 12;
  const f = (v: number) => (opts.logY ? Math.log10(v) : v);
  let lo = Infinity;
  let hi = -Infinity;
  let n = 0;
  for (const s of series) {
    n = Math.max(n, s.y.length);
    for (let i = 0; i < s.y.length; i++) {
      const v = s.y[i]!;
      if (!Number.isFinite(v) || (opts.logY && v <= 0)) continue;
      lo = Math.min(lo, f(v));
      hi = Math.max(hi, f(v));
    }
  }
  if (!Number.isFinite(lo)) return '(no finite values to chart)';
  if (hi === lo) hi = lo + 1;
  const grid = Array.from({ length: height }, () => Array<string>(width).fill(' '));
  series.forEach((s, k) => {
    const mark = MARKS[k % MARKS.length]!;
    for (let c = 0; c < width; c++) {
      const i = Math.min(s.y.length - 1, Math.round((c / Math.max(1, width - 1)) * (n - 1)));
      const v = s.y[i];
      if (v === undefined || !Number.isFinite(v) || (opts.logY && v <= 0)) continue;
      const r = height - 1 - Math.round(((f(v) - lo) / (hi - lo)) * (height - 1));
      grid[r]![c] = mark;
    }
  });
  const label = (v: number) => {
    const x = opts.logY ? 10 ** v : v;
    return (
      Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-2 && x !== 0) ? x.toExponential(1) : x.toFixed(3)
    ).padStart(9);
  };
  const lines = grid.map((row, r) => {
    const axis = r === 0 ? label(hi) : r === height - 1 ? label(lo) : ' '.repeat(9);
    return `${axis} |${row.join('')}`;
  });
  lines.push(`${' '.repeat(9)} +${'-'.repeat(width)}`);
  lines.push(
    `${' '.repeat(11)}step 0 … ${n - 1}   ${series.map((s, k) => `${MARKS[k % MARKS.length]} ${s.name}`).join('  ')}`,
  );
  return lines.join('\n');
}
