/**
 * The examples' and the playground's charts as Vega-Lite specs: line series and scatter
 * points on linear or log axes, drawn by Vega (scales, ticks, log axes, legend, layout)
 * rather than by hand. `chartSpec` builds the Vega-Lite spec (plain JSON: it can be saved
 * and opened in the Vega editor); `renderSvg` compiles it with vega-lite and renders it with
 * vega's headless View, the same in Node and in a browser.
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface LineSeries {
  readonly name: string;
  /** x values; default 0, 1, 2, … */
  readonly x?: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  /** A CSS colour; default the series' entry of `PALETTE`. */
  readonly color?: string;
  /** A dashed line; default: solid for the first `PALETTE.length` series, then dashed, then dotted. */
  readonly dashed?: boolean;
  /** An explicit stroke-dasharray (e.g. `DASHES[2]`, dotted); takes precedence over `dashed`. */
  readonly dash?: readonly number[];
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
  /** A dot at every point of the lines, too (for lines of a few points, e.g. one per epoch). */
  readonly linePoints?: boolean;
  /** Logarithmic y axis (values ≤ 0 or not finite break the line there). */
  readonly logY?: boolean;
  /** Fixed ranges; default: the data's extent (x exactly, y with Vega's nice rounding). */
  readonly xRange?: readonly [number, number];
  readonly yRange?: readonly [number, number];
  /** The whole picture's size in pixels, legend included (default 760 × 460). */
  readonly width?: number;
  readonly height?: number;
}

/** Tableau 10 (Vega's default categorical scheme), in order. */
export const PALETTE: readonly string[] = [
  '#4c78a8',
  '#f58518',
  '#e45756',
  '#72b7b2',
  '#54a24b',
  '#eeca3b',
  '#b279a2',
  '#ff9da6',
  '#9d755d',
  '#bab0ac',
];

/** Stroke dash patterns: solid, dashed, dotted, dash-dot. */
export const DASHES: readonly (readonly number[])[] = [
  [1, 0],
  [7, 4],
  [2, 3],
  [9, 3, 2, 3],
];

export function paletteColor(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}

/**
 * The look of series `i` among `n`: its colour and dash. The first ten series get the ten
 * colours, solid; the next ten the same colours dashed, then dotted, … — every pair
 * (colour, dash) differs for up to 40 series.
 */
export function seriesStyle(i: number): { color: string; dash: readonly number[] } {
  return { color: paletteColor(i), dash: DASHES[Math.floor(i / PALETTE.length) % DASHES.length]! };
}

interface Row {
  series: string;
  i: number;
  x: number;
  y: number | null;
}

/** Names must be unique in a legend: a repeated name gets " (2)", " (3)", … */
function uniqueNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n} (${k})`;
  });
}

/** Builds the Vega-Lite spec of a chart (plain JSON). */
export function chartSpec(o: ChartOptions): TopLevelSpec {
  const lines = o.lines ?? [];
  const points = o.points ?? [];
  const names = uniqueNames([...lines.map((s) => s.name), ...points.map((s) => s.name)]);
  const lineNames = names.slice(0, lines.length);
  const pointNames = names.slice(lines.length);
  const ok = (y: number) => Number.isFinite(y) && !(o.logY && y <= 0);

  const lineRows: Row[] = [];
  lines.forEach((s, k) => {
    for (let i = 0; i < s.y.length; i++) {
      const x = s.x ? s.x[i]! : i;
      const y = s.y[i]!;
      if (!Number.isFinite(x)) continue;
      // A value the axis cannot show becomes null: the line breaks there instead of
      // joining its neighbours.
      lineRows.push({ series: lineNames[k]!, i, x, y: ok(y) ? y : null });
    }
  });
  const pointRows: Row[] = [];
  points.forEach((s, k) => {
    for (let i = 0; i < s.y.length; i++) {
      const x = s.x[i]!;
      const y = s.y[i]!;
      if (Number.isFinite(x) && ok(y)) pointRows.push({ series: pointNames[k]!, i, x, y });
    }
  });

  const colors = [
    ...lines.map((s, k) => s.color ?? seriesStyle(k).color),
    ...points.map((s, k) => s.color ?? paletteColor(lines.length + k)),
  ];
  const dashes = lines.map(
    (s, k) => s.dash ?? (s.dashed === undefined ? seriesStyle(k).dash : s.dashed ? DASHES[1]! : DASHES[0]!),
  );

  const width = o.width ?? 760;
  const height = o.height ?? 460;
  const longest = Math.max(1, ...names.map((n) => n.length));
  // The legend sits right of the plot: room for its longest name (≈ 6.5 px a character).
  const legendWidth = Math.min(width * 0.45, 60 + longest * 6.5);
  const plotWidth = Math.max(120, width - legendWidth - 90);
  const plotHeight = Math.max(80, height - 100);

  // Axis labels: plain numbers between 0.001 and 99999, powers of ten as 1e-5, 1e12 beyond.
  const labelExpr =
    "datum.value != 0 && (abs(datum.value) >= 1e5 || abs(datum.value) < 1e-3) ? replace(format(datum.value, '.0e'), 'e+', 'e') : format(datum.value, '~g')";
  // A log axis has a tick at each 1…9 × 10^k (every few powers of ten when the data span
  // many): all are labelled when the data span less than about a decade, those at 1, 2 and
  // 5 × 10^k up to four decades, the powers of ten beyond.
  let logLabelExpr = labelExpr;
  if (o.logY) {
    let lo = o.yRange?.[0] ?? Infinity;
    let hi = o.yRange?.[1] ?? -Infinity;
    if (!o.yRange) {
      for (const r of [...lineRows, ...pointRows]) {
        if (r.y === null) continue;
        lo = Math.min(lo, r.y);
        hi = Math.max(hi, r.y);
      }
    }
    const decades = hi > lo ? Math.log10(hi / lo) : 0;
    const keep = decades < 1.2 ? null : decades <= 4 ? '[1, 2, 5]' : '[1]';
    if (keep) {
      const mantissa = 'round(datum.value / pow(10, floor(log(datum.value) / LN10 + 1e-6)))';
      logLabelExpr = `indexof(${keep}, ${mantissa}) >= 0 ? ${labelExpr} : ''`;
    }
  }
  const x = {
    field: 'x',
    type: 'quantitative' as const,
    title: o.xLabel ?? null,
    scale: o.xRange ? { domain: [...o.xRange], nice: false } : { zero: false, nice: false },
    axis: { labelExpr },
  };
  const y = {
    field: 'y',
    type: 'quantitative' as const,
    title: o.yLabel ?? null,
    scale: {
      ...(o.logY ? { type: 'log' as const } : { type: 'linear' as const, zero: false }),
      ...(o.yRange ? { domain: [...o.yRange], nice: false } : { nice: true }),
    },
    // Labels that would overlap are left out (greedily); linear axes take d3's nice steps.
    axis: o.logY ? { labelExpr: logLabelExpr, labelOverlap: 'greedy' as const } : { labelExpr },
  };
  const legend = { title: null, labelLimit: 0 };

  const layer: object[] = [];
  if (lineRows.length) {
    layer.push({
      data: { values: lineRows },
      mark: {
        type: 'line',
        strokeWidth: 1.6,
        clip: true,
        invalid: 'break-paths-show-domains',
        ...(o.linePoints ? { point: { size: 40 } } : {}),
      },
      encoding: {
        x,
        y,
        // One legend for colour and dash (same field, same domain): each entry shows both.
        color: {
          field: 'series',
          type: 'nominal',
          scale: { domain: lineNames, range: colors.slice(0, lines.length) },
          sort: null,
          legend: { ...legend, symbolStrokeWidth: 2, symbolSize: 300 },
        },
        strokeDash: {
          field: 'series',
          type: 'nominal',
          scale: { domain: lineNames, range: dashes.map((d) => [...d]) },
          sort: null,
          legend: { ...legend, symbolStrokeWidth: 2, symbolSize: 300 },
        },
        order: { field: 'i', type: 'quantitative' },
      },
    });
  }
  if (pointRows.length) {
    layer.push({
      data: { values: pointRows },
      mark: { type: 'circle', size: 60, opacity: 0.9, clip: true },
      encoding: {
        x,
        y,
        color: {
          field: 'series',
          type: 'nominal',
          scale: { domain: pointNames, range: colors.slice(lines.length) },
          sort: null,
          legend: { ...legend, symbolType: 'circle', symbolSize: 60 },
        },
      },
    });
  }
  if (layer.length === 0) {
    // Nothing to draw: an empty frame with the axes' titles.
    layer.push({ data: { values: [] }, mark: 'point', encoding: { x, y } });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: o.title, fontSize: 15, fontWeight: 'normal', anchor: 'middle' },
    width: plotWidth,
    height: plotHeight,
    background: 'white',
    padding: 10,
    config: {
      font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
      axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#e8e8e8' },
      legend: { labelFontSize: 12, orient: 'right' },
      view: { stroke: '#888' },
    },
    layer,
    // Lines and points keep legends of their own (a stroke for a line, a dot for points).
    resolve: {
      scale: { color: 'independent', strokeDash: 'independent' },
      legend: { color: 'independent', strokeDash: 'independent' },
    },
  } as TopLevelSpec;
}

/** Renders a Vega-Lite spec as a standalone SVG document (vega-lite compiles, vega draws). */
export async function renderSpecSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders a chart as a standalone SVG document: `renderSpecSvg(chartSpec(o))`. */
export function renderSvg(o: ChartOptions): Promise<string> {
  return renderSpecSvg(chartSpec(o));
}
