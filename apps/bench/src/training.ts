/**
 * Training-side figures, each stepwise backend beside TensorFlow.js's matching one:
 * - matmul 128×784×256 float32 (GFLOP/s), the first layer of the MLP;
 * - an MLP 784-256-256-10 training step (batch 128, ReLU, cross-entropy, Adam), steps/s;
 * - a small CNN training step on 8×8 images (batch 64: conv 1→8 3×3 pad 1, ReLU, max-pool
 *   2, conv 8→16 3×3 pad 1, ReLU, max-pool 2, linear 64→10, cross-entropy, SGD), steps/s.
 * Inputs are random; the work per step is what matters. stepwise is NCHW, tfjs NHWC.
 */
import type { Backend } from '@stepwise/core';
import * as torch from '@stepwise/core';

/** A workload a backend cannot run (a kernel it lacks), listed instead of its row. */
export interface TrainingSkip {
  impl: string;
  backend: string;
  workload: string;
  reason: string;
}

export const trainingSkips: TrainingSkip[] = [];

/** Runs one workload; a failure (e.g. a kernel the backend lacks) is recorded, not fatal. */
async function measure(
  out: TrainingRow[],
  impl: string,
  backend: string,
  workload: TrainingRow['workload'],
  run: () => Promise<TrainingRow>,
): Promise<void> {
  try {
    out.push(await run());
  } catch (e) {
    trainingSkips.push({
      impl,
      backend,
      workload,
      reason: (e as Error)?.message?.split('\n')[0] ?? String(e),
    });
  }
}

export interface TrainingRow {
  impl: string;
  backend: string;
  workload: 'matmul 128x784x256' | 'MLP step' | 'CNN step';
  reps: number;
  msPerIter: number;
  /** GFLOP/s for matmul, steps/s for the training steps. */
  rate: number;
  unit: 'GFLOP/s' | 'steps/s';
}

const MATMUL_FLOP = 2 * 128 * 784 * 256;

/** Times `iter` after a warm-up; `finish` waits for queued work (GPU backends). */
async function time(iter: () => void, finish: () => Promise<void>, reps: number): Promise<number> {
  for (let i = 0; i < 2; i++) iter();
  await finish();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) iter();
  await finish();
  return (performance.now() - t0) / reps;
}

function row(
  impl: string,
  backend: string,
  workload: TrainingRow['workload'],
  reps: number,
  ms: number,
): TrainingRow {
  const matmul = workload.startsWith('matmul');
  return {
    impl,
    backend,
    workload,
    reps,
    msPerIter: ms,
    rate: matmul ? MATMUL_FLOP / (ms / 1000) / 1e9 : 1000 / ms,
    unit: matmul ? 'GFLOP/s' : 'steps/s',
  };
}

export async function trainingStepwise(
  backend: Backend,
  reps: (slow: boolean) => number,
): Promise<TrainingRow[]> {
  torch.registerBackend(backend);
  torch.setBackend(backend);
  const { nn } = torch;
  const out: TrainingRow[] = [];
  const finish = () => backend.sync();

  const a = torch.randn([128, 784]);
  const b = torch.randn([784, 256]);
  await measure(out, 'stepwise', backend.name, 'matmul 128x784x256', async () =>
    row(
      'stepwise',
      backend.name,
      'matmul 128x784x256',
      reps(false),
      await time(() => a.matmul(b).dispose(), finish, reps(false)),
    ),
  );

  const mlp = new nn.Sequential(
    new nn.Linear(784, 256),
    new nn.ReLU(),
    new nn.Linear(256, 256),
    new nn.ReLU(),
    new nn.Linear(256, 10),
  );
  const labels = torch.randint(0, 10, [128]);
  const adam = new torch.optim.Adam(mlp.parameters(), { lr: 1e-3 });
  const ce = new nn.CrossEntropyLoss();
  const mlpStep = () =>
    torch.tidy(() => {
      adam.zeroGrad();
      ce.forward(mlp.forward(a), labels).backward();
      adam.step();
    });
  await measure(out, 'stepwise', backend.name, 'MLP step', async () =>
    row('stepwise', backend.name, 'MLP step', reps(true), await time(mlpStep, finish, reps(true))),
  );

  const cnn = new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(64, 10),
  );
  const images = torch.randn([64, 1, 8, 8]);
  const digits = torch.randint(0, 10, [64]);
  const sgd = new torch.optim.SGD(cnn.parameters(), { lr: 0.05, momentum: 0.9 });
  const cnnStep = () =>
    torch.tidy(() => {
      sgd.zeroGrad();
      ce.forward(cnn.forward(images), digits).backward();
      sgd.step();
    });
  await measure(out, 'stepwise', backend.name, 'CNN step', async () =>
    row('stepwise', backend.name, 'CNN step', reps(true), await time(cnnStep, finish, reps(true))),
  );
  return out;
}

export async function trainingTfjs(
  tf: any,
  name: string,
  reps: (slow: boolean) => number,
): Promise<TrainingRow[]> {
  const out: TrainingRow[] = [];
  const backend = `tfjs-${name}`;
  // Waiting means reading a value that the last queued work wrote: on tfjs-webgpu a read of
  // an unrelated tensor can return before earlier kernels have run.
  const readBack = (t: () => any) => async () => {
    await t().data();
  };

  const a = tf.randomNormal([128, 784]);
  const b = tf.randomNormal([784, 256]);
  let product = tf.matMul(a, b);
  const matmul = () => {
    product.dispose();
    product = tf.matMul(a, b);
  };
  await measure(out, 'tfjs 4.22', backend, 'matmul 128x784x256', async () =>
    row(
      'tfjs 4.22',
      backend,
      'matmul 128x784x256',
      reps(false),
      await time(
        matmul,
        readBack(() => product),
        reps(false),
      ),
    ),
  );

  const dense = (i: number, o: number) => [
    tf.variable(tf.randomUniform([i, o], -1 / Math.sqrt(i), 1 / Math.sqrt(i))),
    tf.variable(tf.zeros([o])),
  ];
  const [w1, b1] = dense(784, 256);
  const [w2, b2] = dense(256, 256);
  const [w3, b3] = dense(256, 10);
  const onehot = tf.oneHot(tf.randomUniform([128], 0, 10, 'int32'), 10);
  const adam = tf.train.adam(1e-3);
  const mlpLoss = () => {
    const h1 = tf.relu(tf.add(tf.matMul(a, w1), b1));
    const h2 = tf.relu(tf.add(tf.matMul(h1, w2), b2));
    return tf.losses.softmaxCrossEntropy(onehot, tf.add(tf.matMul(h2, w3), b3));
  };
  const mlpStep = () => tf.tidy(() => adam.minimize(mlpLoss, false, [w1, b1, w2, b2, w3, b3]));
  await measure(out, 'tfjs 4.22', backend, 'MLP step', async () =>
    row(
      'tfjs 4.22',
      backend,
      'MLP step',
      reps(true),
      await time(
        mlpStep,
        readBack(() => b1),
        reps(true),
      ),
    ),
  );

  const k1 = tf.variable(tf.randomNormal([3, 3, 1, 8], 0, 1 / 3));
  const c1 = tf.variable(tf.zeros([8]));
  const k2 = tf.variable(tf.randomNormal([3, 3, 8, 16], 0, 1 / Math.sqrt(72)));
  const c2 = tf.variable(tf.zeros([16]));
  const [w4, b4] = dense(64, 10);
  const images = tf.randomNormal([64, 8, 8, 1]);
  const digits = tf.oneHot(tf.randomUniform([64], 0, 10, 'int32'), 10);
  const sgd = tf.train.momentum(0.05, 0.9);
  const cnnLoss = () => {
    const h1 = tf.maxPool(tf.relu(tf.add(tf.conv2d(images, k1, 1, 'same'), c1)), 2, 2, 'valid');
    const h2 = tf.maxPool(tf.relu(tf.add(tf.conv2d(h1, k2, 1, 'same'), c2)), 2, 2, 'valid');
    return tf.losses.softmaxCrossEntropy(digits, tf.add(tf.matMul(tf.reshape(h2, [64, 64]), w4), b4));
  };
  const cnnStep = () => tf.tidy(() => sgd.minimize(cnnLoss, false, [k1, c1, k2, c2, w4, b4]));
  await measure(out, 'tfjs 4.22', backend, 'CNN step', async () =>
    row(
      'tfjs 4.22',
      backend,
      'CNN step',
      reps(true),
      await time(
        cnnStep,
        readBack(() => c1),
        reps(true),
      ),
    ),
  );
  return out;
}

export function printTrainingTable(rows: readonly TrainingRow[]): void {
  const header = ['workload', 'implementation', 'backend', 'ms/iter', 'rate'];
  const order: TrainingRow['workload'][] = ['matmul 128x784x256', 'MLP step', 'CNN step'];
  const sorted = [...rows].sort(
    (x, y) => order.indexOf(x.workload) - order.indexOf(y.workload) || x.backend.localeCompare(y.backend),
  );
  const lines = [
    header,
    ...sorted.map((r) => [
      r.workload,
      r.impl,
      r.backend,
      r.msPerIter.toFixed(2),
      `${r.rate.toFixed(1)} ${r.unit}`,
    ]),
  ];
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  for (const [i, l] of lines.entries()) {
    console.log(l.map((c, j) => (j >= 3 ? c.padStart(widths[j]!) : c.padEnd(widths[j]!))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  for (const s of trainingSkips)
    console.log(`cannot run ${s.workload} on ${s.impl} ${s.backend}: ${s.reason}`);
}
