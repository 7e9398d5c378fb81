import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';
import { type ChartOptions, renderSvg } from '@stepwise/charts';

/** apps/examples/output: where the pictures go (git-ignored). */
export const OUT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'output');

/** apps/examples/data: the data sets shipped with the examples. */
export const DATA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data');

/** A path as the user would type it: relative to where they ran the command. */
function shown(path: string): string {
  // pnpm runs scripts in the package dir; INIT_CWD is where the user typed the command.
  const base = process.env.INIT_CWD ?? process.cwd();
  return relative(base, path) || path;
}

/** Writes a file under `output/` and prints where it went. */
export function writeOutput(name: string, contents: string | Uint8Array): string {
  mkdirSync(OUT_DIR, { recursive: true });
  const path = join(OUT_DIR, name);
  writeFileSync(path, contents);
  console.log(`  wrote ${shown(path)}`);
  return path;
}

/**
 * An SVG as a PNG (resvg, a prebuilt binary from npm; text in the system's fonts — DejaVu
 * Sans on Debian — at 1.5× the SVG's size).
 */
export function svgToPng(svg: string): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: 1.5 },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

/**
 * Renders a chart (a Vega-Lite spec, see @stepwise/charts) and writes it as
 * `output/<name>.svg` and `output/<name>.png`.
 */
export async function writeChart(name: string, chart: ChartOptions): Promise<{ svg: string; png: string }> {
  const svg = await renderSvg(chart);
  mkdirSync(OUT_DIR, { recursive: true });
  const svgPath = join(OUT_DIR, `${name}.svg`);
  const pngPath = join(OUT_DIR, `${name}.png`);
  writeFileSync(svgPath, svg);
  writeFileSync(pngPath, svgToPng(svg));
  console.log(`  wrote ${shown(svgPath)} (and .png)`);
  return { svg: svgPath, png: pngPath };
}
