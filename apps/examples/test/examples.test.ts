import { readFileSync } from 'node:fs';
import * as torch from '@stepwise/core';
import '@stepwise/cpu-js/register';
import { renderChart } from '@stepwise/charts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { charModel } from '../src/charModel.js';
import { backendFromArgs } from '../src/lib/backend.js';
import { termChart } from '../src/lib/termChart.js';
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

describe('examples on cpu-js', () => {
  beforeAll(() => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterAll(() => vi.restoreAllMocks());

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

  it('seed 004 reaches at least 95% test accuracy on the digits', async () => {
    const { testAccuracy } = await seed004();
    expect(testAccuracy).toBeGreaterThanOrEqual(0.95);
  }, 120_000);

  it("the character-level LSTM learns: its loss falls well below the first step's", async () => {
    // 40 steps (a few seconds): from ln(57) ≈ 4.04 to about 2.6 on cpu-js.
    const r = await charModel({ steps: 40, sampleChars: 20 });
    expect(r.initialLoss).toBeGreaterThan(3.8);
    expect(r.finalLoss).toBeLessThan(0.8 * r.initialLoss);
    expect(r.validAfter).toBeLessThan(r.validBefore - 0.5);
    expect(r.sample.length).toBe('Shall I compare thee'.length + 20);
  }, 120_000);

  it('the training examples, written without tidy, leave live tensors bounded', async () => {
    // Each loop makes ~15 tensors a step (seed 000: 1,000 steps; seed 004: 10 epochs of 45
    // batches): what is left after a run is a few iterations' worth, not the run's length.
    for (const [run, bound] of [
      [seed000, 50],
      [seed004, 300],
    ] as const) {
      const before = torch.memory().tensors;
      await run();
      expect(torch.memory().tensors - before, `tensors left alive by ${run.name}`).toBeLessThan(bound);
    }
  }, 120_000);
});

describe('charts and flags', () => {
  it('renders an SVG with one path per series and a legend', () => {
    const svg = renderChart({
      title: 'a < b',
      logY: true,
      lines: [
        { name: 'one', y: [10, 1, 0.1, 0, -1] },
        { name: 'two', y: [5, 4, 3] },
      ],
      points: [{ name: 'pts', x: [0, 1], y: [1, 2] }],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    expect(svg).toContain('a &lt; b');
    expect(svg.match(/<path /g)?.length).toBe(2);
    expect(svg.match(/<circle /g)?.length).toBe(3);
    expect(svg).not.toContain('NaN');
  });

  it('draws a terminal chart', () => {
    const s = termChart([{ name: 'loss', y: [4, 3, 2, 1] }], { width: 10, height: 4 });
    expect(s.split('\n').length).toBe(6);
    expect(s).toContain('* loss');
  });

  it('parses --backend and rejects unknown names', () => {
    expect(backendFromArgs([])).toBe('cpu-js');
    expect(backendFromArgs(['--backend', 'wasm-simd'])).toBe('wasm-simd');
    expect(backendFromArgs(['--backend=webgpu'])).toBe('webgpu');
    expect(() => backendFromArgs(['--backend', 'cuda'])).toThrow(/cuda/);
  });
});
