/**
 * A character-level language model, as a PyTorch user would write it: Embedding → LSTM →
 * Linear, trained to predict the next character of Shakespeare's sonnets I–XXIII
 * (`data/sonnets.txt`, public domain, from Project Gutenberg), with random windows of the
 * text as batches (`data[idx]` is `data.index(idx)`), CrossEntropyLoss, Adam and gradient
 * clipping. Prints the loss curve and the held-out loss before and after, writes the curve
 * as an SVG, and samples a few lines from the trained model.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { DATA_DIR, writeChart } from './lib/output.js';
import { ProgressBar } from './lib/progress.js';
import { fmt, runIfMain, scalar } from './lib/standalone.js';
import { termChart } from './lib/termChart.js';

const nn = torch.nn;

/** The text and its character vocabulary. */
export function loadSonnets(): { text: string; chars: string[] } {
  const text = readFileSync(join(DATA_DIR, 'sonnets.txt'), 'utf8');
  return { text, chars: [...new Set(text)].sort() };
}

/** Embedding → LSTM → Linear over the vocabulary; batch first, as `nn.LSTM(batch_first=True)`. */
export class CharLSTM extends nn.Module {
  embed: InstanceType<typeof nn.Embedding>;
  lstm: InstanceType<typeof nn.LSTM>;
  head: InstanceType<typeof nn.Linear>;

  constructor(vocab: number, embedDim: number, hidden: number, numLayers = 1) {
    super();
    this.embed = new nn.Embedding(vocab, embedDim);
    this.lstm = new nn.LSTM(embedDim, hidden, { numLayers, batchFirst: true });
    this.head = new nn.Linear(hidden, vocab);
  }

  /** x [B, T] character ids → logits [B, T, vocab] and the LSTM's final state. */
  forward(x: Tensor, state: [Tensor, Tensor] | null = null): [Tensor, [Tensor, Tensor]] {
    const [out, next] = this.lstm.forward(this.embed.forward(x), state);
    return [this.head.forward(out), next];
  }
}

export interface CharModelOptions {
  steps?: number;
  batchSize?: number;
  seqLen?: number;
  hidden?: number;
  lr?: number;
  seed?: number;
  /** Characters to generate after training (0: none). */
  sampleChars?: number;
}

export async function charModel(opts: CharModelOptions = {}) {
  console.log("\n== a character-level LSTM on Shakespeare's sonnets ==");
  const steps = opts.steps ?? 300;
  const B = opts.batchSize ?? 16;
  const T = opts.seqLen ?? 32;
  const hidden = opts.hidden ?? 64;
  const seed = opts.seed ?? 13;
  torch.manualSeed(seed);
  const { text, chars } = loadSonnets();
  const V = chars.length;
  const index = new Map(chars.map((c, i) => [c, i]));
  const data = torch.tensor(
    Int32Array.from(text, (c) => index.get(c)!),
    { dtype: 'int32' },
  );
  // The last tenth is held out.
  const nTrain = Math.floor(text.length * 0.9);
  const train = data.index(`:${nTrain}`);
  const valid = data.index(`${nTrain}:`);
  console.log(
    `  ${text.length} characters, ${V} distinct; ${nTrain} for training, ${text.length - nTrain} held out`,
  );

  const model = new CharLSTM(V, 24, hidden);
  console.log(`  model: ${model.toString().replace(/\n/g, '\n  ')}`);
  const lossFn = new nn.CrossEntropyLoss();
  const optimizer = new torch.optim.Adam(model.parameters(), { lr: opts.lr ?? 1e-2 });
  const offsets = torch.arange(0, T, 1, { dtype: 'int32' });

  /** B random windows of `source`: inputs [B, T] and the next characters [B, T]. */
  const batch = (source: Tensor, size: number): [Tensor, Tensor] => {
    const starts = torch.randint(0, source.shape[0]! - T - 1, [size], { dtype: 'int32' });
    const idx = starts.unsqueeze(1).add(offsets); // [size, T]
    return [source.index(idx), source.index(idx.add(1))];
  };
  const lossOf = (x: Tensor, y: Tensor): Tensor => {
    const [logits] = model.forward(x);
    return lossFn.forward(logits.reshape(-1, V), y.reshape(-1));
  };
  // A fixed held-out batch, so the two numbers compare.
  const [xv, yv] = batch(valid, 64);
  const heldOut = async () => scalar(torch.noGrad(() => lossOf(xv, yv)));
  const validBefore = await heldOut();

  const losses: number[] = [];
  const bar = new ProgressBar('training', steps);
  const t0 = performance.now();
  for (let step = 1; step <= steps; step++) {
    const [x, y] = batch(train, B);
    const loss = lossOf(x, y);
    optimizer.zeroGrad();
    loss.backward();
    nn.utils.clipGradNorm_(model.parameters(), 1.0);
    optimizer.step();
    losses.push(await scalar(loss));
    bar.update(step, `loss ${fmt(losses[losses.length - 1]!, 3)}`);
  }
  bar.done();
  const seconds = (performance.now() - t0) / 1000;
  const validAfter = await heldOut();

  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const every = Math.max(1, Math.floor(steps / 6));
  console.log('   step   train loss (mean of the last steps)');
  for (let s = every; s <= steps; s += every) {
    console.log(`  ${String(s).padStart(5)}   ${fmt(mean(losses.slice(Math.max(0, s - every), s)), 4)}`);
  }
  console.log(termChart([{ name: 'train loss', y: losses }], { height: 8 }));
  const initialLoss = losses[0]!;
  const finalLoss = mean(losses.slice(-Math.min(20, losses.length)));
  console.log(
    `  loss ${fmt(initialLoss, 3)} → ${fmt(finalLoss, 3)} (ln ${V} = ${fmt(Math.log(V), 3)} is a uniform guess); held out ${fmt(validBefore, 3)} → ${fmt(validAfter, 3)}`,
  );
  console.log(
    `  ${steps} steps of ${B}×${T} characters in ${seconds.toFixed(1)} s (${((1000 * seconds) / steps).toFixed(0)} ms per step on ${torch.getBackend().name})`,
  );

  // Generation: feed a prompt, then sample one character at a time, carrying the state.
  let sample = '';
  const n = opts.sampleChars ?? 240;
  if (n > 0) {
    const prompt = 'Shall I compare thee';
    model.eval();
    let state: [Tensor, Tensor] | null = null;
    let input = torch.tensor([Array.from(prompt, (c) => index.get(c)!)], { dtype: 'int32' }); // [1, len]
    sample = prompt;
    for (let i = 0; i < n; i++) {
      // As in PyTorch: one step under noGrad, the last position's distribution at temperature
      // 0.8, one draw from it (torch.multinomial(probs, 1).item()).
      const [logits, next] = torch.noGrad(() => model.forward(input, state));
      state = next;
      const probs = logits.index(0, -1).div(0.8).softmax(-1);
      const c = (await torch.multinomial(probs, 1).data())[0]!;
      sample += chars[c];
      input = torch.tensor([[c]], { dtype: 'int32' });
    }
    model.train();
    console.log(`  sample (temperature 0.8):\n    ${sample.replace(/\n/g, '\n    ')}`);
  }

  await writeChart('char-lstm-loss', {
    title: "character-level LSTM on Shakespeare's sonnets — training loss",
    xLabel: 'step',
    yLabel: 'cross entropy (nats per character)',
    lines: [
      { name: 'batch loss', y: losses },
      {
        name: 'mean of 20 steps',
        y: losses.map((_, i) => mean(losses.slice(Math.max(0, i - 19), i + 1))),
      },
    ],
  });
  return { initialLoss, finalLoss, validBefore, validAfter, losses, sample, seconds };
}

runIfMain(import.meta.url, charModel);
