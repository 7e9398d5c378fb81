import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '@stepwise/core';
import '@stepwise/cpu-js/register';
import { chartSpec, DASHES, PALETTE, renderSvg } from '@stepwise/charts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { charModel } from '../src/charModel.js';
import { fullFromArgs } from '../src/lib/args.js';
import { backendFromArgs } from '../src/lib/backend.js';
import { FASHION_MNIST_ROOT, hasFashionMnist } from '../src/lib/fashionMnist.js';
import { svgToPng } from '../src/lib/output.js';
import { pytorchRun } from '../src/lib/pytorchRuns.js';
import { termChart } from '../src/lib/termChart.js';
import { quickstart } from '../src/quickstart.js';
import { seed000 } from '../src/seed000.js';
import { seed003 } from '../src/seed003.js';
import { seed004 } from '../src/seed004.js';

/** PyTorch's numbers for the seeds, from the conformance fixtures (tooling/golden/seeds.py). */
function fixture<T>(name: string): T {
  return JSON.parse(
    readFileSync(new URL(`../../../packages/conformance/fixtures/${name}.json`, import.meta.url), 'utf8'),
  );
}

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

const NO_DATA = join(tmpdir(), 'stepwise-no-fashion-mnist-here');

function quiet(): void {
  beforeAll(() => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterAll(() => vi.restoreAllMocks());
}

describe('examples on cpu-js', () => {
  quiet();

  it("seed 000 ends at PyTorch's w and b and follows its loss trajectory", async () => {
    const want = fixture<{ w: number[]; b: number[]; losses: number[] }>('seed000');
    const got = await seed000();
    for (const [i, v] of got.w.entries()) expect(rel(v, want.w[i]!)).toBeLessThan(1e-9);
    expect(rel(got.b, want.b[0]!)).toBeLessThan(1e-9);
    for (const i of [0, 1, 500, 999]) expect(rel(got.losses[i]!, want.losses[i]!)).toBeLessThan(1e-9);
  });

  it("seed 003's three runs follow PyTorch's float32 losses", async () => {
    const want = fixture<{
      runs: { dtype: string; lr: number; inputScale?: number; losses: (number | string)[] }[];
    }>('seed003');
    const got = await seed003();
    const pick = (lr: number, scale: number) =>
      want.runs.find((r) => r.dtype === 'float32' && r.lr === lr && (r.inputScale ?? 1) === scale)!;
    for (const r of got) {
      const ref = pick(r.lr, r.scale);
      for (const i of [0, 1, 2, 3]) expect(rel(r.losses[i]!, Number(ref.losses[i]))).toBeLessThan(1e-5);
    }
    const converged = got[1]!;
    expect(rel(converged.losses[99]!, Number(pick(1e-4, 1).losses[99]))).toBeLessThan(1e-4);
    expect(Number.isNaN(got[0]!.losses[99]!)).toBe(true);
  });

  it('seed 004 without Fashion-MNIST trains the small CNN on the digits: at least 95% test accuracy', async () => {
    const r = await seed004({ root: NO_DATA });
    expect(r.data).toBe('digits');
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.95);
  }, 120_000);

  it('the Quickstart without Fashion-MNIST says so and returns null', async () => {
    expect(await quickstart({ root: NO_DATA })).toBeNull();
  });

  it("the character-level LSTM learns: its loss falls well below the first step's", async () => {
    // 40 steps (a few seconds): from ln(57) ≈ 4.04 to about 2.6 on cpu-js.
    const r = await charModel({ steps: 40, sampleChars: 20 });
    expect(r.initialLoss).toBeGreaterThan(3.8);
    expect(r.finalLoss).toBeLessThan(0.8 * r.initialLoss);
    expect(r.validAfter).toBeLessThan(r.validBefore - 0.5);
    expect(r.sample.length).toBe('Shall I compare thee'.length + 20);
  }, 120_000);

  it('the training examples, written without tidy, leave live tensors bounded', async () => {
    // Each loop makes ~15 tensors a step (seed 000: 1,000 steps; seed 004 on the digits: 10
    // epochs of 45 batches): what is left after a run is a few iterations' worth, not the run's length.
    for (const [run, bound] of [
      [seed000, 50],
      [() => seed004({ data: 'digits' }), 300],
    ] as const) {
      const before = torch.memory().tensors;
      await run();
      expect(torch.memory().tensors - before, `tensors left alive by ${run.name}`).toBeLessThan(bound);
    }
  }, 120_000);
});

// The real data: Debian's dataset-fashion-mnist (CI installs it). Small runs whose numbers
// PyTorch 1.13 computed from the same files, seed and order (pytorch/*.json): the same
// initial weights and batches, so the same losses up to float32 rounding.
describe.skipIf(!hasFashionMnist())(
  `examples on Fashion-MNIST (skipped: no Fashion-MNIST in ${FASHION_MNIST_ROOT}; apt-get install dataset-fashion-mnist)`,
  () => {
    quiet();

    it("the Quickstart's first 100 SGD steps land on PyTorch's accuracy and test loss", async () => {
      const r = (await quickstart({ trainSize: 6400, testSize: 2000 }))!;
      const want = pytorchRun('quickstart', { seed: 0, epochs: 1, train: 6400, test: 2000 })!;
      expect(want, 'pytorch/quickstart.json has the 6400/2000 run').toBeDefined();
      expect(r.losses.length).toBe(100);
      expect(r.pytorch).toEqual(want);
      expect(Math.abs(r.accuracy[0]! - want.accuracy[0]!)).toBeLessThanOrEqual(0.002);
      expect(rel(r.testLoss[0]!, want.loss[0]!)).toBeLessThan(1e-5);
    }, 120_000);

    it("seed 004's network on Fashion-MNIST padded to 32×32 follows PyTorch's run (5 steps)", async () => {
      const r = await seed004({ data: 'fashion-mnist', trainSize: 320, testSize: 256 });
      const want = pytorchRun('seed004', { seed: 4, epochs: 1, train: 320, test: 256 })!;
      expect(want, 'pytorch/seed004.json has the 320/256 run').toBeDefined();
      expect(r.data).toBe('fashion-mnist');
      expect(rel(r.history.loss[0]!, want.loss[0]!)).toBeLessThan(1e-5);
      expect(Math.abs(r.testAccuracy - want.accuracy[0]!)).toBeLessThanOrEqual(1 / 256);
    }, 120_000);
  },
);

/** The README's seed program, as the README shows it. */
function readmeSeedProgram(): string {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## The seed program'));
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error("README.md: no ```ts block under '## The seed program'");
  return m[1]!;
}

const EXAMPLES_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Whether Node's `webgpu` package finds an adapter here (probed in a child process). */
function webgpuAdapter(): boolean {
  const probe = [
    "const { create, globals } = await import('webgpu');",
    'Object.assign(globalThis, globals);',
    'const adapter = await create([]).requestAdapter();',
    'process.exit(adapter ? 0 : 1);',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
    cwd: EXAMPLES_DIR,
    timeout: 60_000,
    stdio: 'ignore',
  });
  return r.status === 0;
}

// webgpu runs where an adapter exists, and always in CI (where a missing one must fail).
const webgpu = Boolean(process.env.CI) || webgpuAdapter();

describe("the README's seed program, run as shown", () => {
  const program = readmeSeedProgram();
  // The only line that names a backend; the README's comment lists the alternatives.
  const registerLine = "import '@stepwise/cpu-js/register';";

  it('is the README block with one register import', () => {
    expect(program).toContain(registerLine);
    expect(program.match(/^import '@stepwise\/[\w-]+\/register';/gm)?.length).toBe(1);
  });

  for (const backend of ['cpu-js', 'wasm-simd', 'webgpu'] as const) {
    it.skipIf(backend === 'webgpu' && !webgpu)(
      `on ${backend}${backend === 'webgpu' ? ' (skipped where no WebGPU adapter exists, never in CI)' : ''}: PyTorch's float32 w and b`,
      () => {
        // A fresh Node process, as a user runs it: the packages' builds (dist/), imported
        // from apps/examples, which depends on all three backends.
        for (const pkg of ['core', backend])
          expect(
            existsSync(join(EXAMPLES_DIR, `../../packages/${pkg}/dist/index.js`)),
            `packages/${pkg} is built (pnpm build)`,
          ).toBe(true);
        const code = program.replace(registerLine, `import '@stepwise/${backend}/register';`);
        const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
          cwd: EXAMPLES_DIR,
          encoding: 'utf8',
          timeout: 120_000,
        });
        expect(r.status, `exit status; stderr:\n${r.stderr}`).toBe(0);
        // console.log(await w.array(), await b.array()) → "[ w0, w1 ] [ b0 ]"
        const nums = (r.stdout.match(/\[[^\]]*\]\s*\[[^\]]*\]/)?.[0] ?? '').match(/-?\d+(\.\d+)?(e-?\d+)?/g);
        expect(nums, r.stdout).toHaveLength(3);
        // PyTorch 1.13, the same program in float32.
        const want = [1.3035258054733276, 0.3015993535518646, -4.817739009857178];
        nums!.forEach((v, i) => {
          expect(Math.abs(Number(v) - want[i]!)).toBeLessThan(2e-6);
        });
      },
      150_000,
    );
  }
});

describe('charts (Vega-Lite) and flags', () => {
  it('renders an SVG: one path per line series, a dot per point, and escaped text', async () => {
    const svg = await renderSvg({
      title: 'a < b',
      logY: true,
      lines: [
        { name: 'one', y: [10, 1, 0.1, 0, -1] },
        { name: 'two', y: [5, 4, 3] },
      ],
      points: [{ name: 'pts', x: [0, 1], y: [1, 2] }],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('a &lt; b');
    expect(svg.match(/class="mark-line[^"]*"[^>]*>\s*<path/g)?.length).toBe(2);
    expect(svg.match(/class="mark-symbol[^"]*"[^>]*>(\s*<path[^>]*>)+/g)?.[0]?.match(/<path/g)?.length).toBe(
      2,
    );
    expect(svg).not.toContain('NaN');
  });

  it('writes a PNG of a chart', async () => {
    const png = svgToPng(await renderSvg({ title: 't', lines: [{ name: 'a', y: [1, 2, 3] }] }));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it('labels a log axis whose data span less than a decade', async () => {
    const svg = await renderSvg({
      title: 'narrow',
      logY: true,
      lines: [{ name: 'loss', y: [0.48, 0.4, 0.33, 0.3, 0.25, 0.22] }],
    });
    // The y axis labels: numbers between the data's ends are there (0.3, 0.4, …).
    for (const label of ['0.2', '0.3', '0.4', '0.5']) expect(svg).toContain(`>${label}</text>`);
  });

  it('labels only some powers of ten over many decades, in short form', async () => {
    const svg = await renderSvg({
      title: 'wide',
      logY: true,
      lines: [{ name: 'diverges', y: Array.from({ length: 80 }, (_, i) => 10 ** (i / 2)) }],
    });
    const labels = [...svg.matchAll(/>(1e\d+|1|10|100|1000|10000)<\/text>/g)].map((m) => m[1]);
    expect(labels).toContain('1e40');
    expect(labels.length).toBeGreaterThan(3);
    expect(labels.length).toBeLessThan(15);
    expect(svg).not.toContain('10000000000<');
  });

  it('gives 18 series 18 different (colour, dash) pairs and a legend entry each', () => {
    const lines = Array.from({ length: 18 }, (_, k) => ({ name: `run ${k}`, y: [1, 2, 3] }));
    const spec = chartSpec({ title: 'many', lines }) as unknown as {
      layer: {
        encoding: { color: { scale: { range: string[] } }; strokeDash: { scale: { range: number[][] } } };
      }[];
    };
    const enc = spec.layer[0]!.encoding;
    const pairs = new Set(
      enc.color.scale.range.map((c, i) => `${c} ${enc.strokeDash.scale.range[i]!.join(',')}`),
    );
    expect(pairs.size).toBe(18);
    expect(new Set(enc.color.scale.range).size).toBe(PALETTE.length);
    expect(enc.strokeDash.scale.range[10]).toEqual([...DASHES[1]!]);
  });

  it('draws a terminal chart', () => {
    const s = termChart([{ name: 'loss', y: [4, 3, 2, 1] }], { width: 10, height: 4 });
    expect(s.split('\n').length).toBe(6);
    expect(s).toContain('* loss');
  });

  it('parses --backend and --full, and rejects unknown backends', () => {
    expect(backendFromArgs([])).toBe('cpu-js');
    expect(backendFromArgs(['--backend', 'wasm-simd'])).toBe('wasm-simd');
    expect(backendFromArgs(['--backend=webgpu'])).toBe('webgpu');
    expect(() => backendFromArgs(['--backend', 'cuda'])).toThrow(/cuda/);
    expect(fullFromArgs(['--backend', 'wasm-simd', '--full'])).toBe(true);
    expect(fullFromArgs(['--backend', 'wasm-simd'])).toBe(false);
  });
});
