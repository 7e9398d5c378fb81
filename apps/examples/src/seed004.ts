/**
 * Seed 004: a small CNN — Conv2d, ReLU, MaxPool2d, Flatten, Linear, CrossEntropyLoss, SGD
 * — trained on the UCI handwritten digits shipped in `data/digits.csv.gz` (1797 8×8
 * images, pixels 0..16). A seeded 80/20 train/test split, mini-batches from a DataLoader,
 * SGD with momentum and a cosine learning-rate schedule, accuracy on both sets after every
 * epoch.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { renderChart } from '@stepwise/charts';
import type { Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { DATA_DIR, writeOutput } from './lib/output.js';
import { ProgressBar } from './lib/progress.js';
import { fmt, runIfMain, scalar } from './lib/standalone.js';

const nn = torch.nn;

/** Pixels scaled to [0, 1] as [N, 1, 8, 8] and labels 0..9. */
export function loadDigits(): { images: Float32Array; labels: Int32Array; n: number } {
  const text = gunzipSync(readFileSync(join(DATA_DIR, 'digits.csv.gz'))).toString('utf8');
  const rows = text.trim().split('\n');
  const n = rows.length;
  const images = new Float32Array(n * 64);
  const labels = new Int32Array(n);
  rows.forEach((row, i) => {
    const v = row.split(',').map(Number);
    if (v.length !== 65) throw new Error(`digits.csv.gz: row ${i} has ${v.length} columns, expected 65`);
    for (let j = 0; j < 64; j++) images[i * 64 + j] = v[j]! / 16;
    labels[i] = v[64]!;
  });
  return { images, labels, n };
}

/** The seed's CNN: two conv/pool stages, then a linear classifier. */
export class DigitsCNN extends nn.Module {
  conv1 = new nn.Conv2d(1, 8, 3, { padding: 1 });
  pool1 = new nn.MaxPool2d(2);
  conv2 = new nn.Conv2d(8, 16, 3, { padding: 1 });
  pool2 = new nn.MaxPool2d(2);
  flatten = new nn.Flatten();
  fc = new nn.Linear(16 * 2 * 2, 10);

  forward(x: Tensor): Tensor {
    let h = this.pool1.forward(this.conv1.forward(x).relu()); // [N, 8, 4, 4]
    h = this.pool2.forward(this.conv2.forward(h).relu()); // [N, 16, 2, 2]
    return this.fc.forward(this.flatten.forward(h)); // [N, 10] logits
  }
}

async function accuracy(model: DigitsCNN, x: Tensor, y: Tensor): Promise<number> {
  const correct = torch.noGrad(() => model.forward(x).argmax(1).eq(y).sum());
  return (await scalar(correct)) / y.shape[0]!;
}

export async function seed004(opts: { epochs?: number; seed?: number } = {}) {
  console.log('\n== seed 004: a CNN on the UCI handwritten digits ==');
  const epochs = opts.epochs ?? 10;
  const { images, labels, n } = loadDigits();
  // A seeded shuffle, then 80% for training and 20% for testing.
  const seed = opts.seed ?? 4;
  torch.manualSeed(seed);
  const x = torch.tensor(images).reshape(n, 1, 8, 8);
  const y = torch.tensor(labels, { dtype: 'int32' });
  const perm = torch.randperm(n);
  const nTrain = Math.round(n * 0.8);
  // PyTorch's x[perm[:n_train]]: a slice of the permutation, then advanced indexing.
  const [trainIdx, testIdx] = [perm.index(`:${nTrain}`), perm.index(`${nTrain}:`)];
  const [xTrain, yTrain] = [x.index(trainIdx), y.index(trainIdx)];
  const [xTest, yTest] = [x.index(testIdx), y.index(testIdx)];
  console.log(`  ${n} images: ${nTrain} for training, ${n - nTrain} for testing`);

  const model = new DigitsCNN();
  console.log(`  model: ${model.toString().replace(/\n/g, '\n  ')}`);
  const lossFn = new nn.CrossEntropyLoss();
  const optimizer = new torch.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  // Cosine decay over the epochs: the last epochs settle instead of bouncing around.
  const scheduler = new torch.optim.lrScheduler.CosineAnnealingLR(optimizer, { T_max: epochs });
  const loader = new torch.DataLoader(new torch.TensorDataset(xTrain, yTrain), {
    batchSize: 32,
    shuffle: true,
    seed,
  });
  const history = { loss: [] as number[], train: [] as number[], test: [] as number[] };
  const bar = new ProgressBar('training', epochs * loader.length);
  let done = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    let total = 0;
    for (const [xb, yb] of loader) {
      const loss = lossFn.forward(model.forward(xb!), yb!);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      total += (await scalar(loss)) * yb!.shape[0]!;
      bar.update(++done, `epoch ${epoch}`);
    }
    scheduler.step();
    model.eval();
    history.loss.push(total / nTrain);
    history.train.push(await accuracy(model, xTrain, yTrain));
    history.test.push(await accuracy(model, xTest, yTest));
  }
  bar.done();
  console.log('  epoch   train loss   train acc   test acc');
  history.loss.forEach((l, i) => {
    console.log(
      `  ${String(i + 1).padStart(5)}   ${fmt(l, 5).padStart(10)}   ${(history.train[i]! * 100).toFixed(2).padStart(8)}%   ${(history.test[i]! * 100).toFixed(2).padStart(7)}%`,
    );
  });
  const final = history.test[history.test.length - 1]!;
  console.log(`  final test accuracy: ${(final * 100).toFixed(2)}% on ${n - nTrain} held-out digits`);
  writeOutput(
    'seed004-digits-accuracy.svg',
    renderChart({
      title: 'seed 004: CNN on UCI digits — accuracy per epoch',
      xLabel: 'epoch',
      yLabel: 'accuracy',
      yRange: [0, 1],
      lines: [
        { name: 'train', x: history.train.map((_, i) => i + 1), y: history.train },
        { name: 'test', x: history.test.map((_, i) => i + 1), y: history.test },
      ],
    }),
  );
  writeOutput(
    'seed004-digits-loss.svg',
    renderChart({
      title: 'seed 004: CNN on UCI digits — training loss per epoch',
      xLabel: 'epoch',
      yLabel: 'cross entropy',
      lines: [{ name: 'train loss', x: history.loss.map((_, i) => i + 1), y: history.loss }],
    }),
  );
  return { testAccuracy: final, history };
}

runIfMain(import.meta.url, seed004);
