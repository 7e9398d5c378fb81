/**
 * The playground page: choose a backend (imported on demand through its `register`
 * module), a problem and an optimizer, train, and watch the loss curve grow; runs stay on
 * the chart for comparison. `window.stepwisePlayground` exposes the runs for the
 * browser test.
 */

import { renderChart } from '@stepwise/charts';
import type { Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { PROBLEMS } from './problems.js';

interface Run {
  name: string;
  backend: string;
  losses: number[];
  ms: number;
}

const runs: Run[] = [];
declare global {
  interface Window {
    stepwisePlayground: { runs: Run[]; busy: boolean };
  }
}
window.stepwisePlayground = { runs, busy: false };

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const backendSel = $<HTMLSelectElement>('backend');
const problemSel = $<HTMLSelectElement>('problem');
const optimizerSel = $<HTMLSelectElement>('optimizer');
const lrInput = $<HTMLInputElement>('lr');
const stepsInput = $<HTMLInputElement>('steps');
const status = $<HTMLDivElement>('status');
const chart = $<HTMLDivElement>('chart');
const runList = $<HTMLDivElement>('runs');

type OptClass = new (
  params: Tensor[],
  opts: Record<string, unknown>,
) => InstanceType<typeof torch.optim.Optimizer>;

/** Every optimizer the build exports, except those this page cannot drive (sparse grads, 2-D only). */
const optimizers = Object.entries(torch.optim as unknown as Record<string, unknown>).filter(
  ([name, v]) =>
    typeof v === 'function' &&
    v !== torch.optim.Optimizer &&
    (v as { prototype: unknown }).prototype instanceof torch.optim.Optimizer &&
    !['SparseAdam', 'Muon'].includes(name),
) as [string, OptClass][];
for (const [name] of optimizers) optimizerSel.add(new Option(name, name, name === 'Adam', name === 'Adam'));

function setStatus(text: string, error = false): void {
  status.textContent = text;
  status.className = error ? 'error' : '';
  status.dataset.state = error ? 'error' : window.stepwisePlayground.busy ? 'busy' : 'idle';
}

function draw(): void {
  chart.innerHTML = renderChart({
    title: 'training loss',
    xLabel: 'step',
    yLabel: 'loss (log)',
    logY: true,
    width: 900,
    height: 440,
    lines: runs.map((r) => ({ name: r.name, y: r.losses })),
  });
  runList.innerHTML = runs
    .map(
      (r) =>
        `<div>${r.name}: ${r.losses.length} steps, final loss ${r.losses[r.losses.length - 1]?.toPrecision(5)}, ${(r.ms / Math.max(1, r.losses.length)).toFixed(2)} ms/step</div>`,
    )
    .join('');
}

const loaded = new Set<string>();

/** Imports the backend's register module once, then makes it the default. */
async function useBackend(name: string): Promise<void> {
  if (!loaded.has(name)) {
    if (name === 'cpu-js') await import('@stepwise/cpu-js/register');
    else if (name === 'wasm-simd') await import('@stepwise/wasm-simd/register');
    else if (name === 'webgpu') await import('@stepwise/webgpu/register');
    else throw new Error(`unknown backend ${name}`);
    loaded.add(name);
  }
  torch.setBackend(name);
}

const nextFrame = () => new Promise<void>((r) => requestAnimationFrame(() => r()));

async function train(): Promise<void> {
  if (window.stepwisePlayground.busy) return;
  window.stepwisePlayground.busy = true;
  const backend = backendSel.value;
  try {
    setStatus(`loading ${backend}…`);
    await useBackend(backend);
    const problem = PROBLEMS[problemSel.value]!;
    const Opt = optimizers.find(([n]) => n === optimizerSel.value)![1];
    const lr = Number(lrInput.value);
    const steps = Math.max(1, Math.floor(Number(stepsInput.value)));
    const p = problem.build();
    const opt = new Opt(p.params, { lr });
    const run: Run = {
      name: `${optimizerSel.value} lr ${lr} · ${problemSel.value} · ${backend}`,
      backend,
      losses: [],
      ms: 0,
    };
    runs.push(run);
    const started = performance.now();
    const isAsync = optimizerSel.value === 'LBFGS';
    for (let i = 0; i < steps; i++) {
      let loss: Tensor;
      if (isAsync) {
        loss = await (opt.step as (c: () => Tensor) => Promise<Tensor>)(() => {
          opt.zeroGrad();
          const l = p.loss();
          l.backward();
          return l;
        });
      } else {
        loss = p.loss();
        opt.zeroGrad();
        loss.backward();
        opt.step();
      }
      run.losses.push(Number((await loss.data())[0]));
      if (i % 20 === 19 || i === steps - 1) {
        run.ms = performance.now() - started;
        setStatus(`training on ${backend}: step ${i + 1}/${steps}, loss ${run.losses[i]!.toPrecision(5)}`);
        draw();
        await nextFrame();
      }
    }
    run.ms = performance.now() - started;
    window.stepwisePlayground.busy = false;
    setStatus(`done: ${run.name}, final loss ${run.losses[run.losses.length - 1]!.toPrecision(5)}`);
    draw();
  } catch (e) {
    window.stepwisePlayground.busy = false;
    setStatus(`${backend}: ${(e as Error).message}`, true);
  }
}

$<HTMLFormElement>('controls').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void train();
});
$<HTMLButtonElement>('clear').addEventListener('click', () => {
  runs.length = 0;
  draw();
});
problemSel.addEventListener('change', () => {
  lrInput.value = String(PROBLEMS[problemSel.value]!.lr);
});
if (!('gpu' in navigator)) {
  backendSel.querySelector<HTMLOptionElement>('option[value="webgpu"]')!.textContent =
    'webgpu (not in this browser)';
}
draw();
setStatus('ready');
