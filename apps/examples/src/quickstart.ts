/**
 * pytorch.org's Quickstart, line for line: Fashion-MNIST through `datasets.FashionMNIST`
 * with `ToTensor()`, DataLoaders of 64 (not shuffled, as the tutorial's), the MLP Flatten →
 * Linear(784, 512) → ReLU → Linear(512, 512) → ReLU → Linear(512, 10), CrossEntropyLoss,
 * SGD with lr 1e-3, 5 epochs, and the tutorial's `test()` (accuracy and average loss) after
 * each epoch.
 *
 * With `torch.manualSeed(seed)` the initial weights are PyTorch's for that seed, bit for bit,
 * and so is the data order: the run follows PyTorch's own up to float32 rounding.
 * `pytorch/quickstart.py` is the same program for Debian's PyTorch 1.13; its results are in
 * `pytorch/quickstart.json`, and a run with a matching configuration prints them beside
 * its own.
 *
 * By default one epoch (the tutorial's first); `--full` runs its 5. Needs
 * Fashion-MNIST (`apt-get install dataset-fashion-mnist`); without it, it says so and returns.
 */
import type { Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { datasets, transforms } from '@stepwise/vision';
import { epochsFromArgs, fullFromArgs } from './lib/args.js';
import { FASHION_MNIST_MISSING, FASHION_MNIST_ROOT, firstN, hasFashionMnist } from './lib/fashionMnist.js';
import { writeChart } from './lib/output.js';
import { ProgressBar } from './lib/progress.js';
import { describePytorchRun, type PytorchRun, pytorchRun } from './lib/pytorchRuns.js';
import { runIfMain, scalar } from './lib/standalone.js';

const nn = torch.nn;

/** The tutorial's model. */
export class NeuralNetwork extends nn.Module {
  flatten = new nn.Flatten();
  linearReluStack = new nn.Sequential(
    new nn.Linear(28 * 28, 512),
    new nn.ReLU(),
    new nn.Linear(512, 512),
    new nn.ReLU(),
    new nn.Linear(512, 10),
  );

  forward(x: Tensor): Tensor {
    return this.linearReluStack.forward(this.flatten.forward(x));
  }
}

export interface QuickstartOptions {
  /** The tutorial's 5 epochs (default: its first epoch only). */
  full?: boolean;
  /** Epochs (default 5 with `full`, else 1). */
  epochs?: number;
  /** Training images: the first n (default all 60,000). */
  trainSize?: number;
  /** Test images: the first n (default all 10,000). */
  testSize?: number;
  /** `torch.manualSeed` before the model is built (default 0). */
  seed?: number;
  root?: string;
}

export interface QuickstartResult {
  epochs: number;
  trainSize: number;
  testSize: number;
  seed: number;
  /** Test accuracy (0..1) and average test loss after each epoch. */
  accuracy: number[];
  testLoss: number[];
  /** Every batch's training loss. */
  losses: number[];
  seconds: number;
  /** PyTorch's numbers for the same configuration, when pytorch/quickstart.json has them. */
  pytorch?: PytorchRun;
}

/** The tutorial's `test()`: accuracy and the mean of the batches' losses. */
async function test(
  dataloader: InstanceType<typeof torch.DataLoader<Tensor[]>>,
  model: NeuralNetwork,
  lossFn: InstanceType<typeof nn.CrossEntropyLoss>,
): Promise<{ correct: number; testLoss: number }> {
  const size = dataloader.dataset.length;
  const numBatches = dataloader.length;
  model.eval();
  let testLoss = 0;
  let correct = 0;
  for (const [X, y] of dataloader) {
    const [loss, right] = torch.noGrad(() => {
      const pred = model.forward(X!);
      return [lossFn.forward(pred, y!), pred.argmax(1).eq(y!).sum()];
    });
    testLoss += await scalar(loss);
    correct += await scalar(right);
  }
  return { correct: correct / size, testLoss: testLoss / numBatches };
}

export async function quickstart(opts: QuickstartOptions = {}): Promise<QuickstartResult | null> {
  console.log('\n== the pytorch.org Quickstart on Fashion-MNIST ==');
  const root = opts.root ?? FASHION_MNIST_ROOT;
  if (!hasFashionMnist(root)) {
    console.log(`  skipped: ${FASHION_MNIST_MISSING}`);
    return null;
  }
  const full = opts.full ?? false;
  const epochs = opts.epochs ?? (full ? 5 : 1);
  const seed = opts.seed ?? 0;
  const trainingData = firstN(
    new datasets.FashionMNIST({ root, train: true, transform: new transforms.ToTensor() }),
    opts.trainSize,
  );
  const testData = firstN(
    new datasets.FashionMNIST({ root, train: false, transform: new transforms.ToTensor() }),
    opts.testSize,
  );
  const trainSize = trainingData.length;
  const testSize = testData.length;
  console.log(
    `  ${trainSize} training and ${testSize} test images from ${root}, ${epochs} epoch(s)` +
      (full || opts.epochs !== undefined ? '' : ' (the tutorial’s first; `--full` for its 5)'),
  );
  const batchSize = 64;
  const trainDataloader = new torch.DataLoader(trainingData, { batchSize });
  const testDataloader = new torch.DataLoader(testData, { batchSize });

  torch.manualSeed(seed);
  const model = new NeuralNetwork();
  console.log(`  ${model.toString().replace(/\n/g, '\n  ')}`);
  const lossFn = new nn.CrossEntropyLoss();
  const optimizer = new torch.optim.SGD(model.parameters(), { lr: 1e-3 });

  const started = performance.now();
  const losses: number[] = [];
  const accuracy: number[] = [];
  const testLoss: number[] = [];
  for (let t = 0; t < epochs; t++) {
    model.train();
    const bar = new ProgressBar(`epoch ${t + 1}/${epochs}`, trainDataloader.length);
    let batch = 0;
    for (const [X, y] of trainDataloader) {
      const pred = model.forward(X!);
      const loss = lossFn.forward(pred, y!);
      loss.backward();
      optimizer.step();
      optimizer.zeroGrad();
      losses.push(await scalar(loss));
      bar.update(++batch, `loss ${losses[losses.length - 1]!.toFixed(4)}`);
    }
    bar.done();
    const r = await test(testDataloader, model, lossFn);
    accuracy.push(r.correct);
    testLoss.push(r.testLoss);
    console.log(
      `  epoch ${t + 1}: Test Error: Accuracy: ${(100 * r.correct).toFixed(1)}%, Avg loss: ${r.testLoss.toFixed(6)}`,
    );
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`  ${seconds.toFixed(1)} s`);

  const pytorch = pytorchRun('quickstart', { seed, epochs, train: trainSize, test: testSize });
  if (pytorch) {
    console.log(
      `  ${describePytorchRun(pytorch)}; avg loss ${pytorch.loss[pytorch.loss.length - 1]!.toFixed(6)}`,
    );
  }

  const epochAxis = accuracy.map((_, i) => i + 1);
  await writeChart('quickstart-accuracy', {
    title: `Quickstart (784-512-512-10 MLP, SGD lr 1e-3) — test accuracy on ${testSize} images`,
    xLabel: 'epoch',
    yLabel: 'accuracy',
    yRange: [0, 1],
    linePoints: true,
    lines: [
      { name: 'stepwise', x: epochAxis, y: accuracy },
      ...(pytorch
        ? [{ name: `PyTorch ${pytorch.torch}`, x: epochAxis, y: pytorch.accuracy, dashed: true }]
        : []),
    ],
  });
  const perEpoch = trainDataloader.length;
  await writeChart('quickstart-loss', {
    title: `Quickstart — training loss per batch of 64 (${trainSize} images an epoch)`,
    xLabel: 'epoch',
    yLabel: 'cross entropy',
    lines: [
      { name: 'batch loss', x: losses.map((_, i) => (i + 1) / perEpoch), y: losses },
      {
        name: 'mean of 50 batches',
        x: losses.map((_, i) => (i + 1) / perEpoch),
        y: losses.map((_, i) => mean(losses.slice(Math.max(0, i - 49), i + 1))),
      },
    ],
  });
  return { epochs, trainSize, testSize, seed, accuracy, testLoss, losses, seconds, pytorch };
}

function mean(v: readonly number[]): number {
  return v.reduce((a, b) => a + b, 0) / v.length;
}

runIfMain(import.meta.url, () => quickstart({ full: fullFromArgs(), epochs: epochsFromArgs() }));
