/**
 * Seed 004: the classic CIFAR-10 "seed 004" network — three Conv2d(·, ·, 5, padding 2),
 * each followed by MaxPool2d(2), then Flatten, Linear(1024, 64), Linear(64, 10) — with a
 * single input channel, trained on Fashion-MNIST padded to 32×32 (`transforms.Pad(2)`, so
 * that 64·4·4 = 1024 as for CIFAR's 32×32 images): CrossEntropyLoss, SGD with lr 0.01,
 * batches of 64 from a shuffled DataLoader, a progress bar per epoch and the test accuracy
 * after each.
 *
 * By default a quick look: 10 steps (the first 640 training images), tested on the first
 * 1,000 test images — far too few steps to learn (the loss stays near ln 10 for the first
 * hundred), but enough to compare with PyTorch's run of the same (pytorch/seed004.json),
 * which it prints beside its own; `--full` trains 5 full epochs (60,000 images each) and
 * tests on all 10,000 after each. Without Fashion-MNIST installed (`apt-get install
 * dataset-fashion-mnist`), it trains a smaller CNN on the UCI handwritten digits shipped in
 * `data/digits.csv.gz` (1797 8×8 images: too small for three 2× poolings) instead, and says so.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { datasets, transforms } from '@stepwise/vision';
import { epochsFromArgs, fullFromArgs } from './lib/args.js';
import { FASHION_MNIST_MISSING, FASHION_MNIST_ROOT, firstN, hasFashionMnist } from './lib/fashionMnist.js';
import { DATA_DIR, writeChart } from './lib/output.js';
import { ProgressBar } from './lib/progress.js';
import { describePytorchRun, type PytorchRun, pytorchRun } from './lib/pytorchRuns.js';
import { fmt, runIfMain, scalar } from './lib/standalone.js';

const nn = torch.nn;

/** The seed's network, as the CIFAR-10 original writes it (one Sequential), for 1×32×32 images. */
export class Seed004Net extends nn.Module {
  model = new nn.Sequential(
    new nn.Conv2d(1, 32, 5, { padding: 2 }),
    new nn.MaxPool2d(2),
    new nn.Conv2d(32, 32, 5, { padding: 2 }),
    new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 5, { padding: 2 }),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(1024, 64),
    new nn.Linear(64, 10),
  );

  forward(x: Tensor): Tensor {
    return this.model.forward(x);
  }
}

export interface Seed004Options {
  /** Which data: Fashion-MNIST when it is installed, else the digits (the default, 'auto'). */
  data?: 'auto' | 'fashion-mnist' | 'digits';
  /** Full epochs on all the data (Fashion-MNIST; default: a quick run). */
  full?: boolean;
  /** Epochs (Fashion-MNIST: default 5 with `full`, else 1; digits: 10). */
  epochs?: number;
  /** Fashion-MNIST training images: the first n (default all with `full`, else 640). */
  trainSize?: number;
  /** Fashion-MNIST test images: the first n (default all with `full`, else 1,000). */
  testSize?: number;
  seed?: number;
  root?: string;
}

export interface Seed004Result {
  data: 'fashion-mnist' | 'digits';
  /** Test accuracy after the last epoch (0..1). */
  testAccuracy: number;
  history: { loss: number[]; train?: number[]; test: number[] };
  trainSize: number;
  testSize: number;
  seconds: number;
  /** PyTorch's run of the same configuration, when pytorch/seed004.json has it. */
  pytorch?: PytorchRun;
}

export async function seed004(opts: Seed004Options = {}): Promise<Seed004Result> {
  const root = opts.root ?? FASHION_MNIST_ROOT;
  const data = opts.data ?? 'auto';
  if (data === 'digits') return seed004Digits(opts);
  if (data === 'auto' && !hasFashionMnist(root)) {
    console.log(`\n== seed 004 ==\n  ${FASHION_MNIST_MISSING}: the digits instead`);
    return seed004Digits(opts);
  }
  return seed004Fashion({ ...opts, root });
}

/** Accuracy over a DataLoader, in eval mode without autograd. */
async function evaluate(model: Seed004Net, loader: InstanceType<typeof torch.DataLoader<Tensor[]>>) {
  model.eval();
  let correct = 0;
  for (const [x, y] of loader) {
    correct += await scalar(torch.noGrad(() => model.forward(x!).argmax(1).eq(y!).sum()));
  }
  return correct / loader.dataset.length;
}

async function seed004Fashion(opts: Seed004Options & { root: string }): Promise<Seed004Result> {
  console.log("\n== seed 004: the seed's CNN on Fashion-MNIST (padded to 32×32) ==");
  const full = opts.full ?? false;
  const epochs = opts.epochs ?? (full ? 5 : 1);
  const seed = opts.seed ?? 4;
  // torchvision's way: the transform runs per image as the DataLoader draws it.
  const transform = new transforms.Compose([new transforms.Pad(2), new transforms.ToTensor()]);
  const train = new datasets.FashionMNIST({ root: opts.root, train: true, transform });
  const testSet = new datasets.FashionMNIST({ root: opts.root, train: false, transform });
  const trainData = firstN(train, opts.trainSize ?? (full ? undefined : 640));
  const testData = firstN(testSet, opts.testSize ?? (full ? undefined : 1000));
  console.log(
    `  ${trainData.length} training and ${testData.length} test images from ${opts.root}, ${epochs} epoch(s)` +
      (full || opts.trainSize !== undefined ? '' : ' (a quick run; `--full`: 5 epochs on all of them)'),
  );
  torch.manualSeed(seed);
  const model = new Seed004Net();
  console.log(`  model: ${model.toString().replace(/\n/g, '\n  ')}`);
  const lossFn = new nn.CrossEntropyLoss();
  const optimizer = new torch.optim.SGD(model.parameters(), { lr: 0.01 });
  const trainLoader = new torch.DataLoader(trainData, { batchSize: 64, shuffle: true });
  const testLoader = new torch.DataLoader(testData, { batchSize: 256 });

  const started = performance.now();
  const losses: number[] = [];
  const history = { loss: [] as number[], test: [] as number[] };
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    const bar = new ProgressBar(`epoch ${epoch}/${epochs}`, trainLoader.length);
    let total = 0;
    let done = 0;
    for (const [x, y] of trainLoader) {
      const loss = lossFn.forward(model.forward(x!), y!);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      const l = await scalar(loss);
      losses.push(l);
      total += l * y!.shape[0]!;
      bar.update(++done, `loss ${l.toFixed(4)}`);
    }
    bar.done();
    history.loss.push(total / trainData.length);
    history.test.push(await evaluate(model, testLoader));
    console.log(
      `  epoch ${epoch}: train loss ${fmt(history.loss[epoch - 1]!, 5)}, test accuracy ${(history.test[epoch - 1]! * 100).toFixed(2)}% (${testData.length} images), ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const final = history.test[history.test.length - 1]!;
  console.log(`  final test accuracy: ${(final * 100).toFixed(2)}% in ${seconds.toFixed(1)} s`);
  const pytorch = pytorchRun('seed004', { seed, epochs, train: trainData.length, test: testData.length });
  if (pytorch) console.log(`  ${describePytorchRun(pytorch, 2)}`);
  const perEpoch = trainLoader.length;
  await writeChart('seed004-fashion-mnist-loss', {
    title: `seed 004 on Fashion-MNIST — training loss per batch of 64 (${trainData.length} images an epoch)`,
    xLabel: 'epoch',
    yLabel: 'cross entropy',
    lines: [
      { name: 'batch loss', x: losses.map((_, i) => (i + 1) / perEpoch), y: losses },
      {
        name: 'mean of 50 batches',
        x: losses.map((_, i) => (i + 1) / perEpoch),
        y: losses.map((_, i) => {
          const w = losses.slice(Math.max(0, i - 49), i + 1);
          return w.reduce((a, b) => a + b, 0) / w.length;
        }),
      },
    ],
  });
  await writeChart('seed004-fashion-mnist-accuracy', {
    title: `seed 004 on Fashion-MNIST — test accuracy (${testData.length} images) per epoch`,
    xLabel: 'epoch',
    yLabel: 'accuracy',
    yRange: [0, 1],
    linePoints: true,
    lines: [
      { name: 'stepwise', x: history.test.map((_, i) => i + 1), y: history.test },
      ...(pytorch
        ? [
            {
              name: `PyTorch ${pytorch.torch}`,
              x: pytorch.accuracy.map((_, i) => i + 1),
              y: pytorch.accuracy,
              dashed: true,
            },
          ]
        : []),
    ],
  });
  return {
    data: 'fashion-mnist',
    testAccuracy: final,
    history,
    trainSize: trainData.length,
    testSize: testData.length,
    seconds,
    pytorch,
  };
}

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

/** The small CNN for the 8×8 digits: two conv/pool stages, then a linear classifier. */
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

async function seed004Digits(opts: Seed004Options = {}): Promise<Seed004Result> {
  console.log('\n== seed 004 (digits): a small CNN on the UCI handwritten digits ==');
  const started = performance.now();
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
  await writeChart('seed004-digits-accuracy', {
    title: 'seed 004 (digits): small CNN on UCI digits — accuracy per epoch',
    xLabel: 'epoch',
    yLabel: 'accuracy',
    yRange: [0, 1],
    linePoints: true,
    lines: [
      { name: 'train', x: history.train.map((_, i) => i + 1), y: history.train },
      { name: 'test', x: history.test.map((_, i) => i + 1), y: history.test },
    ],
  });
  await writeChart('seed004-digits-loss', {
    title: 'seed 004 (digits): small CNN on UCI digits — training loss per epoch',
    xLabel: 'epoch',
    yLabel: 'cross entropy',
    linePoints: true,
    lines: [{ name: 'train loss', x: history.loss.map((_, i) => i + 1), y: history.loss }],
  });
  return {
    data: 'digits',
    testAccuracy: final,
    history,
    trainSize: nTrain,
    testSize: n - nTrain,
    seconds: (performance.now() - started) / 1000,
  };
}

runIfMain(import.meta.url, () => seed004({ full: fullFromArgs(), epochs: epochsFromArgs() }));
