/**
 * Seed 000: logistic regression with SGD, as in API.md — eight 2-D points, two classes,
 * the loss Σ log(1 + e^z) − y·z with z = x·w + b, 1000 SGD steps of lr 0.01 in float64.
 * PyTorch 1.13 ends at w ≈ [1.30352664, 0.3015996], b ≈ −4.81774284.
 */

import * as torch from '@stepwise/core';
import { hasFloat64 } from './lib/backend.js';
import { writeChart } from './lib/output.js';
import { fmt, runIfMain, scalar } from './lib/standalone.js';
import { termChart } from './lib/termChart.js';

/** What PyTorch prints for this program (float64). */
export const PYTORCH = { w: [1.30352664, 0.3015996], b: -4.81774284, loss0: 23.8272, loss999: 0.4908 };

export async function seed000(): Promise<{ w: number[]; b: number; losses: number[] }> {
  console.log('\n== seed 000: logistic regression with SGD ==');
  const dtype = hasFloat64() ? 'float64' : 'float32';
  if (dtype !== 'float64') console.log(`  (${torch.getBackend().name} has no float64: running in float32)`);
  const xs = [
    [2.5, 1.3, 6.2, 1.3, 5.4, 6, 4.3, 8.2],
    [-1.2, 2.5, 3.6, 4, 3.4, 2.3, 7.2, 3.9],
  ];
  const labels = [0, 0, 1, 0, 1, 1, 1, 1];
  const x = torch.tensor(xs, { dtype }).T;
  const y = torch.tensor(labels, { dtype: 'int32' });
  const w = torch.tensor([2, 2], { dtype, requiresGrad: true });
  const b = torch.tensor([1], { dtype, requiresGrad: true });
  const optimizer = new torch.optim.SGD(new Set([w, b]), { lr: 0.01 });
  const losses: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const z = x.matmul(w).add(b);
    const L = torch.log(torch.exp(z).add(1)).sub(y.mul(z)).sum();
    optimizer.zeroGrad();
    L.backward();
    optimizer.step();
    losses.push(await scalar(L));
  }
  const wv = Array.from(await w.data());
  const bv = (await b.data())[0]!;
  console.log('  step   loss');
  for (const i of [0, 1, 2, 10, 100, 500, 999])
    console.log(`  ${String(i).padStart(4)}   ${fmt(losses[i]!, 10)}`);
  console.log(`  (PyTorch 1.13: ${PYTORCH.loss0}… at step 0, ${PYTORCH.loss999}… at step 999)`);
  console.log(termChart([{ name: 'loss', y: losses }], { height: 8 }));
  console.log(`  w = [${wv.map((v) => fmt(v, 8)).join(', ')}]   (PyTorch: [${PYTORCH.w.join(', ')}])`);
  console.log(`  b = ${fmt(bv, 8)}                (PyTorch: ${PYTORCH.b})`);
  const err = Math.max(
    ...wv.map((v, i) => Math.abs(v - PYTORCH.w[i]!) / Math.abs(PYTORCH.w[i]!)),
    Math.abs(bv - PYTORCH.b) / Math.abs(PYTORCH.b),
  );
  console.log(`  largest relative difference to PyTorch's printed digits: ${err.toExponential(2)}`);

  // The samples and the separating line w·x + b = 0.
  const lineX = [0, 9];
  const lineY = lineX.map((u) => -(wv[0]! * u + bv) / wv[1]!);
  const pick = (cls: number, row: number) => xs[row]!.filter((_, i) => labels[i] === cls);
  await writeChart('seed000-logistic-regression', {
    title: 'seed 000: samples and the separating line w·x + b = 0',
    xLabel: 'x₁',
    yLabel: 'x₂',
    xRange: [0, 9],
    yRange: [-2, 8],
    lines: [{ name: 'w·x + b = 0', x: lineX, y: lineY, color: '#444' }],
    points: [
      { name: 'y = 0', x: pick(0, 0), y: pick(0, 1), color: '#1f77b4' },
      { name: 'y = 1', x: pick(1, 0), y: pick(1, 1), color: '#d62728' },
    ],
  });
  await writeChart('seed000-loss', {
    title: 'seed 000: loss per SGD step',
    xLabel: 'step',
    yLabel: 'loss',
    lines: [{ name: 'loss', y: losses }],
  });
  return { w: wv, b: bv, losses };
}

runIfMain(import.meta.url, seed000);
