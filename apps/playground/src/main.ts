/**
 * The playground page: choose a backend (imported on demand through its `register`
 * module), a problem and an optimizer, train, and watch the loss curve grow; runs stay on
 * the chart for comparison. `window.stepwisePlayground` exposes the runs for the
 * browser test.
 *
 * At startup every backend is probed (`backends.ts`): one this browser cannot run is
 * disabled, with the reason beside it. Each optimizer starts from PyTorch's default lr
 * (`optimizers.ts`) unless the user edited the field; an empty or invalid lr or steps
 * value disables Train and says why. The chart is redrawn while a run trains, without
 * holding up the page: the loop yields a frame every few steps and draws are coalesced.
 */

import { DASHES, paletteColor, renderSvg } from '@stepwise/charts';
import type { Backend, Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { BACKENDS, type BackendChoice, errorText } from './backends.js';
import { defaultLr, optimizerClasses, parseLr, parseSteps } from './optimizers.js';
import { PROBLEMS } from './problems.js';

interface Run {
  name: string;
  backend: string;
  losses: number[];
  ms: number;
  /** How the run is drawn: its colour and stroke dash (distinct for every run on the chart). */
  color: string;
  dash: readonly number[];
}

interface PlaygroundState {
  runs: Run[];
  busy: boolean;
  /** Each backend's probe result: null where it can run, else why not. */
  unavailable: Record<string, string | null>;
  /** Charts drawn so far, and how many steps of the newest run the latest one shows. */
  draws: number;
  drawnSteps: number;
}

const runs: Run[] = [];
declare global {
  interface Window {
    stepwisePlayground: PlaygroundState;
  }
}
// Busy until the backends are probed and the empty chart is drawn.
const state: PlaygroundState = { runs, busy: true, unavailable: {}, draws: 0, drawnSteps: 0 };
window.stepwisePlayground = state;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const backendSel = $<HTMLSelectElement>('backend');
const problemSel = $<HTMLSelectElement>('problem');
const optimizerSel = $<HTMLSelectElement>('optimizer');
const lrInput = $<HTMLInputElement>('lr');
const lrMessage = $<HTMLSpanElement>('lr-message');
const stepsInput = $<HTMLInputElement>('steps');
const stepsMessage = $<HTMLSpanElement>('steps-message');
const trainButton = $<HTMLButtonElement>('train');
const stopButton = $<HTMLButtonElement>('stop');
const clearButton = $<HTMLButtonElement>('clear');
const backendNotes = $<HTMLUListElement>('backend-notes');
const status = $<HTMLDivElement>('status');
const chart = $<HTMLDivElement>('chart');
const runList = $<HTMLDivElement>('runs');

const optimizers = optimizerClasses();
for (const [name] of optimizers) optimizerSel.add(new Option(name, name, name === 'Adam', name === 'Adam'));
for (const b of BACKENDS)
  backendSel.add(new Option(`${b.label} (checking…)`, b.id, b.id === 'cpu-js', b.id === 'cpu-js'));

function setStatus(text: string, error = false): void {
  status.textContent = text;
  status.className = error ? 'error' : '';
  status.dataset.state = error ? 'error' : state.busy ? 'busy' : 'idle';
}

/** Probes every backend; disables the options this browser cannot run and lists why. */
async function probeBackends(): Promise<void> {
  const results = await Promise.all(
    BACKENDS.map(async (b) => {
      try {
        return await b.probe();
      } catch (e) {
        return `the check failed: ${(e as Error).message}`;
      }
    }),
  );
  backendNotes.replaceChildren();
  BACKENDS.forEach((b, i) => {
    const reason = results[i]!;
    state.unavailable[b.id] = reason;
    const option = Array.from(backendSel.options).find((o) => o.value === b.id)!;
    option.disabled = reason !== null;
    option.textContent = reason === null ? b.label : `${b.label} (unavailable)`;
    option.title = reason ?? '';
    if (reason !== null) option.dataset.reason = reason;
    const li = document.createElement('li');
    li.dataset.backend = b.id;
    li.className = reason === null ? 'available' : 'unavailable';
    li.textContent = reason === null ? `${b.label}: available` : `${b.label}: unavailable — ${reason}`;
    backendNotes.append(li);
  });
  if (backendSel.selectedOptions[0]?.disabled) backendSel.value = 'cpu-js';
}

// ---- lr and steps ----------------------------------------------------------------------

/** Whether the user typed an lr of their own (then changing optimizer keeps it). */
let lrEdited = false;

function lrDefault(): number {
  return defaultLr(optimizerSel.value);
}

/** Checks the fields: shows each one's message, marks it invalid, and enables Train only when both are valid. */
function validate(): { lr: number; steps: number } | null {
  const lr = parseLr(lrInput.value, lrInput.validity.badInput);
  const steps = parseSteps(stepsInput.value, stepsInput.validity.badInput);
  const show = (input: HTMLInputElement, message: HTMLElement, error: string | undefined, hint: string) => {
    input.setAttribute('aria-invalid', String(error !== undefined));
    message.className = error === undefined ? 'field-hint' : 'field-error';
    message.textContent = error ?? hint;
  };
  const d = lrDefault();
  show(
    lrInput,
    lrMessage,
    'error' in lr ? lr.error : undefined,
    lrEdited ? `${optimizerSel.value}'s default: ${d}` : `${optimizerSel.value}'s default`,
  );
  show(stepsInput, stepsMessage, 'error' in steps ? steps.error : undefined, '');
  const ok = 'lr' in lr && 'steps' in steps;
  trainButton.disabled = state.busy || !ok;
  return ok ? { lr: lr.lr, steps: steps.steps } : null;
}

lrInput.addEventListener('input', () => {
  const lr = parseLr(lrInput.value, lrInput.validity.badInput);
  lrEdited = !('lr' in lr && lr.lr === lrDefault());
  validate();
});
stepsInput.addEventListener('input', () => validate());
optimizerSel.addEventListener('change', () => {
  // A new optimizer starts from its own default, unless the user chose an lr (an empty or
  // invalid field is replaced too: there is nothing of theirs to keep).
  if (!lrEdited || !('lr' in parseLr(lrInput.value, lrInput.validity.badInput))) {
    lrInput.value = String(lrDefault());
    lrEdited = false;
  }
  validate();
});
lrInput.value = String(lrDefault());

// ---- the chart ---------------------------------------------------------------------------

/** The chart, drawn by Vega from the same Vega-Lite spec the examples use (one draw at a time). */
let drawing: Promise<void> = Promise.resolve();
/** A draw is queued behind the current one: later requests join it. */
let drawQueued = false;

function drawRunList(): void {
  runList.innerHTML = runs
    .map(
      (r) =>
        `<div>${r.name}: ${r.losses.length} steps, final loss ${r.losses[r.losses.length - 1]?.toPrecision(5)}, ${(r.ms / Math.max(1, r.losses.length)).toFixed(2)} ms/step</div>`,
    )
    .join('');
}

/**
 * Redraws the chart with the runs as they are when the draw starts. Requests made while a
 * draw is under way are coalesced into one more draw, so a fast training loop never queues
 * more than one. The promise settles when a chart showing the current runs is on the page.
 */
function draw(): Promise<void> {
  drawRunList();
  if (drawQueued) return drawing;
  drawQueued = true;
  drawing = drawing
    .catch(() => {}) // a failed draw is reported by its caller; the next one starts afresh
    .then(async () => {
      drawQueued = false;
      const shown = runs[runs.length - 1]?.losses.length ?? 0;
      const svg = await renderSvg({
        title: 'training loss',
        xLabel: 'step',
        yLabel: 'loss (log)',
        logY: true,
        width: 900,
        height: 440,
        lines: runs.map((r) => ({ name: r.name, y: [...r.losses], color: r.color, dash: r.dash })),
      });
      chart.innerHTML = svg;
      state.draws++;
      state.drawnSteps = shown;
    });
  return drawing;
}

// ---- training ----------------------------------------------------------------------------

const created = new Map<string, Promise<Backend>>();

/** Creates the backend once (its register module imported on first use), then makes it the default. */
async function useBackend(choice: BackendChoice): Promise<void> {
  let b = created.get(choice.id);
  if (!b) {
    b = choice.create();
    created.set(choice.id, b);
    b.catch(() => created.delete(choice.id));
  }
  // The object, not the name: wasm-simd with and without threads share the name 'wasm-simd'.
  torch.setBackend(await b);
}

const nextFrame = () => new Promise<void>((r) => requestAnimationFrame(() => r()));
/** Steps between chart updates while training. */
const DRAW_EVERY = 20;
let stopRequested = false;

function setBusy(busy: boolean): void {
  state.busy = busy;
  stopButton.disabled = !busy;
  clearButton.disabled = busy;
  validate();
}

async function train(): Promise<void> {
  if (state.busy) return;
  const fields = validate();
  if (!fields) return; // Train is disabled then; Enter in a field still submits the form
  const choice = BACKENDS.find((b) => b.id === backendSel.value)!;
  if (state.unavailable[choice.id]) return;
  const { lr, steps } = fields;
  stopRequested = false;
  setBusy(true);
  try {
    setStatus(`loading ${choice.label}…`);
    await useBackend(choice);
    const problem = PROBLEMS[problemSel.value]!;
    const Opt = optimizers.find(([n]) => n === optimizerSel.value)![1];
    const p = problem.build();
    const opt = new Opt(p.params, { lr });
    const k = runs.length;
    const run: Run = {
      name: `#${k + 1} ${optimizerSel.value} lr ${lr} · ${problemSel.value} · ${choice.label}`,
      backend: choice.id,
      losses: [],
      ms: 0,
      color: paletteColor(k),
      dash: DASHES[k % DASHES.length]!,
    };
    runs.push(run);
    const started = performance.now();
    const isAsync = optimizerSel.value === 'LBFGS';
    for (let i = 0; i < steps && !stopRequested; i++) {
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
      if (i % DRAW_EVERY === DRAW_EVERY - 1) {
        run.ms = performance.now() - started;
        setStatus(
          `training on ${choice.label}: step ${i + 1}/${steps}, loss ${run.losses[i]!.toPrecision(5)}`,
        );
        // Queue a redraw (it runs between steps) and let the page paint.
        void draw().catch(() => {});
        await nextFrame();
      }
    }
    run.ms = performance.now() - started;
    await draw();
    setBusy(false);
    const how = run.losses.length < steps ? `stopped after ${run.losses.length} steps` : 'done';
    setStatus(`${how}: ${run.name}, final loss ${run.losses[run.losses.length - 1]?.toPrecision(5)}`);
  } catch (e) {
    setBusy(false);
    setStatus(errorText(choice, e), true);
  }
}

$<HTMLFormElement>('controls').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void train();
});
stopButton.addEventListener('click', () => {
  stopRequested = true;
});
clearButton.addEventListener('click', () => {
  if (state.busy) return;
  runs.length = 0;
  void draw();
});

setStatus('checking which backends this browser can run…');
validate();
Promise.all([probeBackends(), draw()]).then(
  () => {
    setBusy(false);
    setStatus('ready');
  },
  (e) => {
    setBusy(false);
    setStatus(`startup: ${(e as Error).message}`, true);
  },
);
