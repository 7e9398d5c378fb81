/**
 * The former hand-written SVG chart writer, kept only until the playground draws with the
 * Vega-Lite specs of index.ts; deleted then.
 */

export interface LineSeries {
  readonly name: string;
  readonly x?: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  readonly color?: string;
  readonly dashed?: boolean;
}

export interface ScatterSeries {
  readonly name: string;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  readonly color?: string;
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  readonly lines?: readonly LineSeries[];
  readonly points?: readonly ScatterSeries[];
  /** Logarithmic y axis (non-positive values are dropped from the curve). */
  readonly logY?: boolean;
  /** Fixed ranges; default: the data's extent with a margin. */
  readonly xRange?: readonly [number, number];
  readonly yRange?: readonly [number, number];
  readonly width?: number;
  readonly height?: number;
}

const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#393b79',
  '#ad494a',
  '#637939',
  '#e7ba52',
];

/** Distinct clip-path ids when several charts share one page. */
let chartCount = 0;

export function paletteColor(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** "Nice" tick positions covering [lo, hi]: steps of 1, 2 or 5 times a power of ten. */
function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0);
  return String(Number(v.toPrecision(4)));
}

/** Renders the chart as a standalone SVG document. */
export function renderChart(o: ChartOptions): string {
  const W = o.width ?? 760;
  const H = o.height ?? 460;
  const longest = Math.max(0, ...[...(o.lines ?? []), ...(o.points ?? [])].map((s) => s.name.length));
  // The legend sits right of the plot; make room for the longest name (about 6.5 px a character at 12 px).
  const m = { left: 70, right: Math.min(W * 0.45, Math.max(120, 50 + longest * 6.5)), top: 40, bottom: 50 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const lines = o.lines ?? [];
  const points = o.points ?? [];
  const ty = (v: number) => (o.logY ? Math.log10(v) : v);
  let xmin = Infinity;
  let xmax = -Infinity;
  let ymin = Infinity;
  let ymax = -Infinity;
  const visit = (xs: ArrayLike<number> | undefined, ys: ArrayLike<number>) => {
    for (let i = 0; i < ys.length; i++) {
      const x = xs ? xs[i]! : i;
      const y = ys[i]!;
      if (!Number.isFinite(x) || !Number.isFinite(y) || (o.logY && y <= 0)) continue;
      xmin = Math.min(xmin, x);
      xmax = Math.max(xmax, x);
      ymin = Math.min(ymin, ty(y));
      ymax = Math.max(ymax, ty(y));
    }
  };
  for (const s of lines) visit(s.x, s.y);
  for (const s of points) visit(s.x, s.y);
  if (o.xRange) [xmin, xmax] = o.xRange;
  if (o.yRange) [ymin, ymax] = [ty(o.yRange[0]), ty(o.yRange[1])];
  if (!Number.isFinite(xmin)) [xmin, xmax] = [0, 1];
  if (!Number.isFinite(ymin)) [ymin, ymax] = [0, 1];
  if (xmax === xmin) xmax = xmin + 1;
  if (ymax === ymin) ymax = ymin + 1;
  if (!o.yRange) {
    const pad = (ymax - ymin) * 0.05;
    ymin -= pad;
    ymax += pad;
  }
  const sx = (x: number) => m.left + ((x - xmin) / (xmax - xmin)) * pw;
  const sy = (y: number) => m.top + ph - ((ty(y) - ymin) / (ymax - ymin)) * ph;
  const out: string[] = [];
  const clipId = `plot${++chartCount}`;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    // Series are clipped to the plot area (a line may run far outside a fixed range).
    `<defs><clipPath id="${clipId}"><rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}"/></clipPath></defs>`,
    `<text x="${m.left + pw / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(o.title)}</text>`,
  );
  // grid and ticks
  for (const t of niceTicks(xmin, xmax)) {
    const x = sx(t).toFixed(1);
    out.push(
      `<line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + ph}" stroke="#eee"/>`,
      `<text x="${x}" y="${m.top + ph + 16}" text-anchor="middle">${fmt(t)}</text>`,
    );
  }
  const yTicks = o.logY
    ? Array.from({ length: Math.floor(ymax) - Math.ceil(ymin) + 1 }, (_, i) => Math.ceil(ymin) + i)
    : niceTicks(ymin, ymax);
  for (const t of yTicks) {
    const y = (m.top + ph - ((t - ymin) / (ymax - ymin)) * ph).toFixed(1);
    out.push(
      `<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#eee"/>`,
      `<text x="${m.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${o.logY ? fmt(10 ** t) : fmt(t)}</text>`,
    );
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
  if (o.xLabel)
    out.push(`<text x="${m.left + pw / 2}" y="${H - 12}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  if (o.yLabel)
    out.push(
      `<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(o.yLabel)}</text>`,
    );
  // series
  let legend = 0;
  const legendEntry = (name: string, color: string, kind: 'line' | 'dot', dashed = false) => {
    const y = m.top + 10 + legend * 18;
    const x = m.left + pw + 14;
    out.push(
      kind === 'line'
        ? `<line x1="${x}" y1="${y}" x2="${x + 22}" y2="${y}" stroke="${color}" stroke-width="2"${dashed ? ' stroke-dasharray="5 3"' : ''}/>`
        : `<circle cx="${x + 11}" cy="${y}" r="4" fill="${color}"/>`,
      `<text x="${x + 28}" y="${y}" dominant-baseline="middle">${escapeXml(name)}</text>`,
    );
    legend++;
  };
  lines.forEach((s, k) => {
    const color = s.color ?? paletteColor(k);
    const parts: string[] = [];
    let pen = false;
    for (let i = 0; i < s.y.length; i++) {
      const x = s.x ? s.x[i]! : i;
      const y = s.y[i]!;
      if (!Number.isFinite(y) || (o.logY && y <= 0)) {
        pen = false;
        continue;
      }
      parts.push(`${pen ? 'L' : 'M'}${sx(x).toFixed(1)} ${sy(y).toFixed(1)}`);
      pen = true;
    }
    out.push(
      `<path d="${parts.join('')}" fill="none" stroke="${color}" stroke-width="1.6" clip-path="url(#${clipId})"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    legendEntry(s.name, color, 'line', s.dashed);
  });
  points.forEach((s, k) => {
    const color = s.color ?? paletteColor(lines.length + k);
    for (let i = 0; i < s.y.length; i++) {
      out.push(
        `<circle cx="${sx(s.x[i]!).toFixed(1)}" cy="${sy(s.y[i]!).toFixed(1)}" r="4.5" fill="${color}"/>`,
      );
    }
    legendEntry(s.name, color, 'dot');
  });
  out.push('</svg>');
  return out.join('\n');
}
