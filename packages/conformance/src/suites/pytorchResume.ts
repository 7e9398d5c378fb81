/**
 * Resuming training across PyTorch and stepwise (core README, "PyTorch files"; docs/pytorch.md).
 *
 * PyTorch → stepwise: `tooling/golden/pt_resume.py` trained a small model with every
 * optimizer PyTorch 1.13 has and a scheduler of every kind, saved model + optimizer +
 * scheduler after K steps as PyTorch saves a checkpoint (`fixtures/pt_resume/*.pt`), and
 * recorded the next N steps (`fixtures/pt_resume.json`). Here each file is read with
 * `torch.load`, loaded into a stepwise model, optimizer and scheduler built as the
 * Python ones (`loadStateDict` of PyTorch's layout), and training continues: every
 * parameter must follow PyTorch's trajectory (rtol 1e-5 in float32) and every lr its
 * schedule.
 *
 * stepwise → PyTorch: the same runs made in stepwise from the same initial weights, saved
 * after K steps with `stateDict({ layout: 'pytorch' })` as .pt files, resumed by real
 * PyTorch (`tooling/golden/check_resume.py`), whose next N steps must follow stepwise's,
 * and whose loaded state dicts must have the keys, kinds, dtypes and shapes of PyTorch's
 * own. Skipped only where `/usr/bin/python3` has no torch, and never in CI.
 *
 * Layouts: the PyTorch layout of every optimizer and scheduler against 1.13's, and loads
 * that must fail naming the key at fault and changing nothing.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DType, Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { expectClose, type FixtureNumber, fromFixture } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { loadFixture } from '../fixtures.js';
import { expectDTypeUnsupported, thrown, values } from './util.js';

const { nn } = torch;
const F = torch.nn.functional;
const S = torch.optim.lrScheduler;

interface SchedulerConfig {
  readonly type: string;
  readonly kwargs?: Record<string, unknown>;
  readonly schedulers?: readonly SchedulerConfig[];
  readonly lambda?: { readonly pow?: number; readonly const?: number };
}

interface ResumeCase {
  readonly name: string;
  readonly file: string;
  readonly dtype: DType;
  readonly model: 'mlp' | 'embeddings';
  readonly optimizer: {
    readonly type: string;
    readonly kwargs: Record<string, unknown>;
    readonly groups: readonly Record<string, unknown>[] | null;
  };
  readonly scheduler: SchedulerConfig | null;
  readonly steps: number;
  readonly resume: number;
  readonly init: Record<string, FixtureNumber[]>;
  readonly batches: readonly (readonly (readonly number[])[])[];
  readonly metrics: readonly number[];
  readonly trajectory: readonly { params: Record<string, FixtureNumber[]>; lrs: number[] }[];
}

interface ResumeFixture {
  readonly cases: readonly ResumeCase[];
}

const FIXTURES = new URL('../../fixtures/pt_resume/', import.meta.url);
const CHECK_RESUME = fileURLToPath(new URL('../../../../tooling/golden/check_resume.py', import.meta.url));
const PYTHON = '/usr/bin/python3';

/** PyTorch's keyword names in stepwise's spelling (`weight_decay` → `weightDecay`; `T_max` stays). */
const camel = (k: string) =>
  /^[A-Z]_/.test(k) ? k : k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const camelKeys = (o: Record<string, unknown> = {}) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [camel(k), v]));

/** The two embeddings of pt_resume.py (SparseAdam needs sparse gradients). */
class Embeddings extends nn.Module {
  a = new nn.Embedding(6, 3, { sparse: true });
  b = new nn.Embedding(5, 3, { sparse: true });
  forward(i: Tensor, j: Tensor): Tensor {
    return this.a.forward(i).mul(this.b.forward(j)).sum(1);
  }
}

function buildModel(c: ResumeCase): torch.nn.Module {
  const m =
    c.model === 'mlp'
      ? new nn.Sequential(new nn.Linear(4, 3), new nn.Tanh(), new nn.Linear(3, 2))
      : new Embeddings();
  return c.dtype === 'float32' ? m : m.to(c.dtype);
}

function buildOptimizer(c: ResumeCase, model: torch.nn.Module): torch.optim.Optimizer {
  const named = [...model.namedParameters()];
  const Cls = (torch.optim as any)[c.optimizer.type];
  const kwargs = camelKeys(c.optimizer.kwargs);
  if (c.optimizer.groups === null)
    return new Cls(
      named.map(([, p]) => p),
      kwargs,
    );
  const first = named[0]![0].split('.')[0];
  const g0 = named.filter(([n]) => n.split('.')[0] === first).map(([, p]) => p);
  const g1 = named.filter(([n]) => n.split('.')[0] !== first).map(([, p]) => p);
  return new Cls(
    [
      { params: g0, ...camelKeys(c.optimizer.groups[0]) },
      { params: g1, ...camelKeys(c.optimizer.groups[1]) },
    ],
    kwargs,
  );
}

function lambdaOf(spec: SchedulerConfig['lambda']): (epoch: number) => number {
  const b = spec?.pow;
  if (b !== undefined) return (e) => b ** e;
  const k = spec?.const ?? 1;
  return () => k;
}

function buildScheduler(spec: SchedulerConfig | null, opt: torch.optim.Optimizer): any {
  if (spec === null) return null;
  const kw = camelKeys(spec.kwargs);
  switch (spec.type) {
    case 'LambdaLR':
    case 'MultiplicativeLR':
      return new (S as any)[spec.type](opt, { ...kw, lrLambda: lambdaOf(spec.lambda) });
    case 'SequentialLR':
      return new S.SequentialLR(opt, {
        schedulers: spec.schedulers!.map((s) => buildScheduler(s, opt)),
        milestones: kw.milestones as number[],
      });
    case 'ChainedScheduler':
      return new S.ChainedScheduler(
        spec.schedulers!.map((s) => buildScheduler(s, opt)),
        opt,
      );
    default:
      return new (S as any)[spec.type](opt, kw);
  }
}

function lossOf(c: ResumeCase, model: any, t: number): Tensor {
  const b = c.batches[t]!;
  if (c.model === 'mlp') {
    const x = torch.tensor(b[0]!.map(fromFixture), { dtype: c.dtype }).reshape([4, 4]);
    const y = torch.tensor(b[1]!.map(fromFixture), { dtype: c.dtype }).reshape([4, 2]);
    return F.mseLoss(model.forward(x), y);
  }
  const i = torch.tensor([...b[0]!], { dtype: 'int32' });
  const j = torch.tensor([...b[1]!], { dtype: 'int32' });
  const y = torch.tensor(b[2]!.map(fromFixture), { dtype: c.dtype });
  return model.forward(i, j).sub(y).square().mean();
}

/** One training step of pt_resume.py's `train_step`. */
async function trainStep(c: ResumeCase, model: any, opt: any, sched: any, t: number): Promise<void> {
  if (c.optimizer.type === 'LBFGS') {
    await opt.step(() => {
      opt.zeroGrad();
      const loss = lossOf(c, model, t);
      loss.backward();
      return loss;
    });
  } else {
    opt.zeroGrad();
    lossOf(c, model, t).backward();
    opt.step();
  }
  if (sched !== null) {
    if (sched instanceof S.ReduceLROnPlateau) sched.step(c.metrics[t]);
    else sched.step();
  }
}

/**
 * rtol 1e-5 in float32. LBFGS in float32 gets PyTorch's LBFGS suite's bound (rtol 1e-4): its
 * scalars (dot products, 1/ys, the two-loop's al) are host float64 numbers in stepwise and
 * float32 tensors in PyTorch, and every step runs several inner iterations on them.
 */
function tolFor(c: ResumeCase) {
  if (c.dtype === 'float64') return { rtol: 1e-10, atol: 1e-12 };
  return c.optimizer.type === 'LBFGS' ? { rtol: 1e-4, atol: 1e-6 } : { rtol: 1e-5, atol: 1e-6 };
}

async function snapshot(model: torch.nn.Module, opt: torch.optim.Optimizer) {
  const params: Record<string, number[]> = {};
  for (const [n, p] of model.namedParameters()) params[n] = await values(p);
  return { params, lrs: opt.paramGroups.map((g) => Number(g.lr)) };
}

function fixtureBytes(file: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(file, FIXTURES)));
}

let torchInPython: string | null | undefined;
/** Null when `/usr/bin/python3` imports torch, else why not. */
function pythonTorchMissing(): string | null {
  if (torchInPython === undefined) {
    const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
    torchInPython =
      r.status === 0
        ? null
        : `${PYTHON} -c "import torch" failed (${r.error?.message ?? r.stderr.trim().split('\n').pop()}): install python3-torch to run this check`;
  }
  return torchInPython;
}

/** A small model, optimizer and scheduler to check layouts with: two groups, one step taken. */
function trained(
  make: (groups: any[]) => torch.optim.Optimizer,
  sched?: (o: torch.optim.Optimizer) => any,
): { model: torch.nn.Module; opt: torch.optim.Optimizer; sched: any } {
  torch.manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(3, 2), new nn.Linear(2, 1));
  const ps = [...model.parameters()];
  const opt = make([{ params: ps.slice(0, 2) }, { params: ps.slice(2), lr: 0.05 }]);
  const s = sched ? sched(opt) : null;
  const step = () => {
    opt.zeroGrad();
    (model as any)
      .forward(torch.ones([2, 3]))
      .square()
      .sum()
      .backward();
    opt.step();
    s?.step(s instanceof S.ReduceLROnPlateau ? 1 : undefined);
  };
  step();
  step();
  return { model, opt, sched: s };
}

/** Two embeddings (sparse gradients) in two groups, two steps taken: SparseAdam's `trained`. */
function sparseTrained(make: (groups: any[]) => torch.optim.Optimizer): { opt: torch.optim.Optimizer } {
  torch.manualSeed(0);
  const a = new nn.Embedding(4, 2, { sparse: true });
  const b = new nn.Embedding(3, 2, { sparse: true });
  const opt = make([{ params: [a.weight] }, { params: [b.weight], lr: 0.05 }]);
  for (let i = 0; i < 2; i++) {
    opt.zeroGrad();
    a.forward(torch.tensor([1, 2], { dtype: 'int32' }))
      .sum()
      .add(b.forward(torch.tensor([0], { dtype: 'int32' })).sum())
      .backward();
    opt.step();
  }
  return { opt };
}

/** PyTorch 1.13's `state_dict()` param-group keys (before `params`) and state kinds, per optimizer. */
const PYTORCH_113: Record<
  string,
  { make: (g: any[]) => torch.optim.Optimizer; keys: string[]; state: Record<string, string> }
> = {
  SGD: {
    make: (g) => new torch.optim.SGD(g, { lr: 0.1, momentum: 0.9 }),
    keys: [
      'lr',
      'momentum',
      'dampening',
      'weight_decay',
      'nesterov',
      'maximize',
      'foreach',
      'differentiable',
    ],
    state: { momentum_buffer: 'tensor' },
  },
  Adam: {
    make: (g) => new torch.optim.Adam(g, { amsgrad: true }),
    keys: [
      'lr',
      'betas',
      'eps',
      'weight_decay',
      'amsgrad',
      'maximize',
      'foreach',
      'capturable',
      'differentiable',
      'fused',
    ],
    state: { step: 'scalar float32', exp_avg: 'tensor', exp_avg_sq: 'tensor', max_exp_avg_sq: 'tensor' },
  },
  AdamW: {
    make: (g) => new torch.optim.AdamW(g),
    keys: ['lr', 'betas', 'eps', 'weight_decay', 'amsgrad', 'foreach', 'maximize', 'capturable'],
    state: { step: 'scalar float32', exp_avg: 'tensor', exp_avg_sq: 'tensor' },
  },
  Adagrad: {
    make: (g) => new torch.optim.Adagrad(g),
    keys: ['lr', 'lr_decay', 'eps', 'weight_decay', 'initial_accumulator_value', 'foreach', 'maximize'],
    state: { step: 'scalar float32', sum: 'tensor' },
  },
  Adadelta: {
    make: (g) => new torch.optim.Adadelta(g),
    keys: ['lr', 'rho', 'eps', 'weight_decay', 'maximize', 'foreach'],
    state: { step: 'int', square_avg: 'tensor', acc_delta: 'tensor' },
  },
  Adamax: {
    make: (g) => new torch.optim.Adamax(g),
    keys: ['lr', 'betas', 'eps', 'weight_decay', 'foreach', 'maximize'],
    state: { step: 'scalar float32', exp_avg: 'tensor', exp_inf: 'tensor' },
  },
  ASGD: {
    make: (g) => new torch.optim.ASGD(g),
    keys: ['lr', 'lambd', 'alpha', 't0', 'weight_decay', 'foreach', 'maximize'],
    state: { step: 'scalar float32', eta: 'scalar float32', mu: 'scalar float32', ax: 'tensor' },
  },
  NAdam: {
    make: (g) => new torch.optim.NAdam(g),
    keys: ['lr', 'betas', 'eps', 'weight_decay', 'momentum_decay', 'foreach'],
    state: { step: 'scalar float32', mu_product: 'scalar float32', exp_avg: 'tensor', exp_avg_sq: 'tensor' },
  },
  RAdam: {
    make: (g) => new torch.optim.RAdam(g),
    keys: ['lr', 'betas', 'eps', 'weight_decay', 'foreach'],
    state: { step: 'scalar float32', exp_avg: 'tensor', exp_avg_sq: 'tensor' },
  },
  RMSprop: {
    make: (g) => new torch.optim.RMSprop(g, { momentum: 0.5, centered: true }),
    keys: [
      'lr',
      'momentum',
      'alpha',
      'eps',
      'centered',
      'weight_decay',
      'foreach',
      'maximize',
      'differentiable',
    ],
    state: { step: 'int', square_avg: 'tensor', momentum_buffer: 'tensor', grad_avg: 'tensor' },
  },
  Rprop: {
    make: (g) => new torch.optim.Rprop(g),
    keys: ['lr', 'etas', 'step_sizes', 'foreach', 'maximize'],
    state: { step: 'int', prev: 'tensor', step_size: 'tensor' },
  },
  SparseAdam: {
    make: (g) => new torch.optim.SparseAdam(g),
    keys: ['lr', 'betas', 'eps', 'maximize'],
    state: { step: 'int', exp_avg: 'tensor', exp_avg_sq: 'tensor' },
  },
};

function kindOf(v: unknown): string {
  if (v instanceof torch.Tensor) return v.dim() === 0 ? `scalar ${v.dtype}` : 'tensor';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return v === null ? 'null' : typeof v;
}

/** A deep, tensor-free copy of a group list (to compare before/after a refused load). */
function groupsCopy(opt: torch.optim.Optimizer): unknown {
  return opt.paramGroups.map((g) => {
    const { params, ...rest } = g;
    return { params: params.length, ...JSON.parse(JSON.stringify(rest)) };
  });
}

export function registerPytorchResumeTests(ctx: ConformanceContext): void {
  const fx = loadFixture<ResumeFixture>('pt_resume');

  describe('resuming checkpoints PyTorch 1.13 saved (tooling/golden/pt_resume.py)', () => {
    for (const c of fx.cases) {
      it(`${c.name} (${c.optimizer.type}, ${c.scheduler?.type ?? 'no scheduler'}, ${c.dtype}): ${c.resume} more steps follow PyTorch's`, async () => {
        if (!ctx.supports(c.dtype)) return expectDTypeUnsupported(ctx, c.dtype);
        // A backend without synchronous reads loads the file on the reference (CPU)
        // backend: `step` and the other 0-dim scalars are read on the host, and every
        // loadStateDict moves tensors to the parameters' backend.
        const ck = torch.load(fixtureBytes(c.file), ctx.syncReads ? {} : { backend: ctx.reference() });
        expect(ck.step).toBe(c.steps);
        expect(Object.keys(ck.optimizer)).toEqual(['state', 'param_groups']);
        const model = buildModel(c);
        const opt = buildOptimizer(c, model);
        const sched = buildScheduler(c.scheduler, opt);
        model.loadStateDict(ck.model);
        opt.loadStateDict(ck.optimizer);
        if (sched !== null) sched.loadStateDict(ck.scheduler);
        const tl = tolFor(c);
        for (let j = 0; j < c.resume; j++) {
          await trainStep(c, model, opt, sched, c.steps + j);
          const want = c.trajectory[j]!;
          const got = await snapshot(model, opt);
          for (const [n, v] of Object.entries(want.params)) {
            expectClose(got.params[n]!, v.map(fromFixture), tl, `${c.name} step ${c.steps + j + 1}: ${n}`);
          }
          expectClose(got.lrs, want.lrs, { rtol: 1e-12, atol: 0 }, `${c.name} step ${c.steps + j + 1}: lrs`);
        }
      });
    }
  });

  describe('stepwise checkpoints resumed by PyTorch (tooling/golden/check_resume.py)', () => {
    it(`every case: stateDict({ layout: 'pytorch' }) after K steps, saved as .pt; PyTorch's next steps follow stepwise's`, async (t) => {
      const missing = pythonTorchMissing();
      // CI installs python3-torch (.ci/install-pytorch.sh): there a missing PyTorch is a failure.
      if (missing && process.env.CI) throw new Error(`CI must run this check: ${missing}`);
      if (missing) t.skip(missing);
      const dir = mkdtempSync(join(tmpdir(), 'stepwise-check-resume-'));
      try {
        const manifest: unknown[] = [];
        for (const c of fx.cases) {
          if (!ctx.supports(c.dtype)) continue;
          const model = buildModel(c);
          const init: Record<string, Tensor> = {};
          for (const [n, p] of model.namedParameters()) {
            init[n] = torch.tensor(c.init[n]!.map(fromFixture), { dtype: c.dtype }).reshape(p.shape);
          }
          model.loadStateDict(init);
          const opt = buildOptimizer(c, model);
          const sched = buildScheduler(c.scheduler, opt);
          for (let s = 0; s < c.steps; s++) await trainStep(c, model, opt, sched, s);
          const ck = {
            model: model.stateDict(),
            optimizer: opt.stateDict({ layout: 'pytorch' }),
            scheduler: sched === null ? null : sched.stateDict({ layout: 'pytorch' }),
            step: c.steps,
          };
          const bytes = ctx.syncReads
            ? torch.save(ck, { format: 'pt' })
            : await torch.saveAsync(ck, { format: 'pt' });
          writeFileSync(join(dir, c.file), bytes);
          const trajectory = [];
          for (let j = 0; j < c.resume; j++) {
            await trainStep(c, model, opt, sched, c.steps + j);
            trajectory.push(await snapshot(model, opt));
          }
          manifest.push({ name: c.name, file: c.file, trajectory, tolerance: tolFor(c) });
        }
        writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ cases: manifest }));
        const r = spawnSync(PYTHON, [CHECK_RESUME, dir], { encoding: 'utf8', timeout: 300_000 });
        expect(r.status, `check_resume.py:\n${r.stdout}\n${r.stderr}`).toBe(0);
        for (const c of manifest as { name: string }[]) expect(r.stdout).toContain(`ok ${c.name}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 600_000);
  });

  describe("PyTorch's layout", () => {
    for (const [name, spec] of Object.entries(PYTORCH_113)) {
      it(`${name}: stateDict({ layout: 'pytorch' }) has PyTorch 1.13's group keys and state, and loads back`, async () => {
        const { opt } = name === 'SparseAdam' ? sparseTrained(spec.make) : trained(spec.make);
        const sd = opt.stateDict({ layout: 'pytorch' });
        expect(Object.keys(sd)).toEqual(['state', 'param_groups']);
        expect(sd.state).toBeInstanceOf(Map);
        expect(sd.param_groups).toHaveLength(2);
        for (const g of sd.param_groups) expect(Object.keys(g)).toEqual([...spec.keys, 'params']);
        expect(sd.param_groups[1]!.lr).toBe(0.05);
        expect(sd.param_groups[0]!.params).toEqual(name === 'SparseAdam' ? [0] : [0, 1]);
        const st = sd.state.get(0)!;
        expect(Object.fromEntries(Object.entries(st).map(([k, v]) => [k, kindOf(v)]))).toEqual(spec.state);
        if (spec.state.step) {
          const step = st.step;
          expect(step instanceof torch.Tensor ? (await values(step as Tensor))[0] : step).toBe(2);
        }
        // Back into a fresh optimizer of the same kind: the same state (PyTorch's layout is recognised).
        const again = (name === 'SparseAdam' ? sparseTrained(spec.make) : trained(spec.make)).opt;
        again.loadStateDict(sd);
        const after = again.stateDict();
        expect(Object.keys(after.state)).toEqual(Object.keys(opt.stateDict().state));
        expect(after.paramGroups.map((g) => g.lr)).toEqual(opt.paramGroups.map((g) => g.lr));
        for (const [k, v] of Object.entries(opt.stateDict().state[0]!)) {
          if (v instanceof torch.Tensor) expect(await values(after.state[0]![k])).toEqual(await values(v));
          else expect(after.state[0]![k]).toEqual(v);
        }
      });
    }

    it("LBFGS: H_diag, ro and al as 0-dim tensors of the parameters' dtype, counters as ints; loads back", async () => {
      torch.manualSeed(0);
      const w = torch.randn([3], { requiresGrad: true });
      const make = () => new torch.optim.LBFGS([w], { maxIter: 3, historySize: 2 });
      const opt = make();
      const closure = () => {
        opt.zeroGrad();
        const l = w
          .sub(torch.tensor([1, 2, 3]))
          .square()
          .sum();
        l.backward();
        return l;
      };
      await opt.step(closure);
      await opt.step(closure);
      const sd = opt.stateDict({ layout: 'pytorch' });
      expect(Object.keys(sd.param_groups[0]!)).toEqual([
        'lr',
        'max_iter',
        'max_eval',
        'tolerance_grad',
        'tolerance_change',
        'history_size',
        'line_search_fn',
        'params',
      ]);
      const st = sd.state.get(0)!;
      expect(kindOf(st.func_evals)).toBe('int');
      expect(kindOf(st.n_iter)).toBe('int');
      expect(kindOf(st.H_diag)).toBe('scalar float32');
      expect((st.ro as unknown[]).map(kindOf)).toEqual(
        (st.old_dirs as unknown[]).map(() => 'scalar float32'),
      );
      expect((st.al as unknown[]).every((x) => x === null || kindOf(x) === 'scalar float32')).toBe(true);
      const other = new torch.optim.LBFGS([torch.zeros([3], { requiresGrad: true })], {
        maxIter: 3,
        historySize: 2,
      });
      other.loadStateDict(sd);
      const mine = opt.stateDict().state[0]!;
      const theirs = other.stateDict().state[0]!;
      expect(theirs.HDiag).toBe(Math.fround(mine.HDiag));
      expect(theirs.ro).toEqual(mine.ro.map(Math.fround));
      expect(theirs.nIter).toBe(mine.nIter);
    });

    it("an option PyTorch 1.13 lacks is written only where it is not the default; Adafactor and Muon take later PyTorch's keys", () => {
      const nadam = trained((g) => new torch.optim.NAdam(g)).opt.stateDict({ layout: 'pytorch' });
      expect(nadam.param_groups[0]).not.toHaveProperty('maximize');
      const max = trained((g) => new torch.optim.NAdam(g, { maximize: true })).opt.stateDict({
        layout: 'pytorch',
      });
      expect(max.param_groups[0]!.maximize).toBe(true);
      const adam = trained((g) => new torch.optim.Adam(g, { decoupledWeightDecay: true })).opt.stateDict({
        layout: 'pytorch',
      });
      expect(adam.param_groups[0]!.decoupled_weight_decay).toBe(true);
      const adamw = trained((g) => new torch.optim.AdamW(g)).opt.stateDict({ layout: 'pytorch' });
      expect(adamw.param_groups[0]).not.toHaveProperty('decoupled_weight_decay');
      const ada = trained((g) => new torch.optim.Adafactor(g)).opt.stateDict({ layout: 'pytorch' });
      expect(Object.keys(ada.param_groups[0]!)).toEqual([
        'lr',
        'beta2_decay',
        'eps',
        'd',
        'weight_decay',
        'foreach',
        'maximize',
        'params',
      ]);
      expect(Object.keys(ada.state.get(0)!)).toEqual(['step', 'row_var', 'col_var']);
      expect(Object.keys(ada.state.get(1)!)).toEqual(['step', 'variance']);
      torch.manualSeed(0);
      const m = new torch.optim.Muon([torch.randn([2, 2], { requiresGrad: true })]);
      expect(Object.keys(m.stateDict({ layout: 'pytorch' }).param_groups[0]!)).toEqual([
        'lr',
        'weight_decay',
        'momentum',
        'nesterov',
        'ns_coefficients',
        'eps',
        'ns_steps',
        'adjust_lr_fn',
        'params',
      ]);
    });

    it("a scheduler's initial_lr and a user's group keys cross in snake_case; PyTorch-only keys are dropped on load", () => {
      const { opt } = trained(
        (g) => new torch.optim.SGD(g, { lr: 0.1 }),
        (o) => new S.StepLR(o, { stepSize: 1 }),
      );
      opt.paramGroups[0]!.myTag = 3;
      const sd = opt.stateDict({ layout: 'pytorch' });
      expect(sd.param_groups[0]!.initial_lr).toBe(0.1);
      expect(sd.param_groups[0]!.my_tag).toBe(3);
      const other = trained((g) => new torch.optim.SGD(g, { lr: 0.1 })).opt;
      other.loadStateDict(sd);
      expect(other.paramGroups[0]!.initialLr).toBe(0.1);
      expect(other.paramGroups[0]!.myTag).toBe(3);
      expect(other.paramGroups[0]).not.toHaveProperty('foreach');
      expect(other.paramGroups[0]).not.toHaveProperty('differentiable');
    });

    it('a refused load names the key as the loaded dict spells it and changes nothing', () => {
      const { opt } = trained((g) => new torch.optim.Adam(g));
      const good = opt.stateDict({ layout: 'pytorch' });
      const target = trained((g) => new torch.optim.Adam(g, { lr: 0.5 })).opt;
      const before = groupsCopy(target);
      const stateBefore = target.state;
      const cases: [string, (sd: any) => void, RegExp][] = [
        [
          'weight decay of a wrong kind',
          (sd) => (sd.param_groups[1].weight_decay = 'x'),
          /param_groups\[1\]\.weight_decay/,
        ],
        [
          'an exp_avg of the wrong shape',
          (sd) => (sd.state.get(0).exp_avg = torch.zeros([5])),
          /state\[0\]\.exp_avg has shape \[5\]/,
        ],
        [
          'an unknown state entry',
          (sd) => (sd.state.get(1).exp_avgg = torch.zeros([1])),
          /state\[1\]\.exp_avgg/,
        ],
        [
          'a missing exp_avg_sq',
          (sd) => delete sd.state.get(2).exp_avg_sq,
          /state\[2\]\.exp_avg_sq is missing/,
        ],
        ['a step that is not a count', (sd) => (sd.state.get(0).step = torch.tensor(-1)), /state\[0\]\.step/],
        [
          'both spellings',
          (sd) => (sd.param_groups[0].weightDecay = 0),
          /has both 'weightDecay' and 'weight_decay'/,
        ],
        ['both layouts', (sd) => (sd.paramGroups = []), /both 'param_groups'.*'paramGroups'/],
        [
          'a forbidden key',
          (sd) => Object.defineProperty(sd.param_groups[0], '__proto__', { value: 1, enumerable: true }),
          /'__proto__' is not allowed/,
        ],
      ];
      for (const [what, edit, re] of cases) {
        const sd: any = {
          state: new Map([...good.state].map(([k, v]) => [k, { ...v }])),
          param_groups: good.param_groups.map((g) => ({ ...g })),
        };
        edit(sd);
        const e = thrown(() => target.loadStateDict(sd));
        expect(e.message, what).toMatch(re);
        expect(groupsCopy(target), what).toEqual(before);
        expect(target.state, what).toBe(stateBefore);
      }
    });

    it("schedulers: PyTorch 1.13's keys, both ways, composite ones with their children", () => {
      const mk = (sched: (o: torch.optim.Optimizer) => any) =>
        trained((g) => new torch.optim.SGD(g, { lr: 0.1, momentum: 0.9 }), sched);
      const base = [
        'base_lrs',
        'last_epoch',
        'verbose',
        '_step_count',
        '_get_lr_called_within_step',
        '_last_lr',
      ];
      const expectKeys: [string, (o: torch.optim.Optimizer) => any, string[]][] = [
        ['StepLR', (o) => new S.StepLR(o, { stepSize: 3 }), ['step_size', 'gamma', ...base]],
        [
          'MultiStepLR',
          (o) => new S.MultiStepLR(o, { milestones: [2, 4, 4] }),
          ['milestones', 'gamma', ...base],
        ],
        ['ConstantLR', (o) => new S.ConstantLR(o), ['factor', 'total_iters', ...base]],
        ['LinearLR', (o) => new S.LinearLR(o), ['start_factor', 'end_factor', 'total_iters', ...base]],
        ['ExponentialLR', (o) => new S.ExponentialLR(o, { gamma: 0.9 }), ['gamma', ...base]],
        ['PolynomialLR', (o) => new S.PolynomialLR(o), ['total_iters', 'power', ...base]],
        [
          'CosineAnnealingLR',
          (o) => new S.CosineAnnealingLR(o, { T_max: 10 }),
          ['T_max', 'eta_min', ...base],
        ],
        [
          'CosineAnnealingWarmRestarts',
          (o) => new S.CosineAnnealingWarmRestarts(o, { T_0: 3, T_mult: 2 }),
          ['T_0', 'T_i', 'T_mult', 'eta_min', 'T_cur', ...base],
        ],
        [
          'CyclicLR',
          (o) => new S.CyclicLR(o, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 3 }),
          [
            'max_lrs',
            'total_size',
            'step_ratio',
            'mode',
            'gamma',
            'scale_mode',
            'cycle_momentum',
            'base_momentums',
            'max_momentums',
            '_scale_fn_custom',
            ...base,
          ],
        ],
        [
          'OneCycleLR',
          (o) => new S.OneCycleLR(o, { maxLr: 0.1, totalSteps: 20 }),
          ['total_steps', '_schedule_phases', '_anneal_func_type', 'cycle_momentum', 'use_beta1', ...base],
        ],
        [
          'ReduceLROnPlateau',
          (o) => new S.ReduceLROnPlateau(o),
          [
            'factor',
            'min_lrs',
            'patience',
            'cooldown',
            'cooldown_counter',
            'mode',
            'threshold',
            'threshold_mode',
            'best',
            'num_bad_epochs',
            'mode_worse',
            'eps',
            'last_epoch',
            'verbose',
            '_last_lr',
          ],
        ],
        ['SWALR', (o) => new torch.optim.swaUtils.SWALR(o, { swaLr: 0.05 }), ['anneal_epochs', ...base]],
        ['LambdaLR', (o) => new S.LambdaLR(o, { lrLambda: (e) => 0.9 ** e }), [...base, 'lr_lambdas']],
        [
          'MultiplicativeLR',
          (o) => new S.MultiplicativeLR(o, { lrLambda: () => 0.9 }),
          [...base, 'lr_lambdas'],
        ],
        [
          'SequentialLR',
          (o) =>
            new S.SequentialLR(o, {
              schedulers: [new S.ConstantLR(o), new S.ExponentialLR(o, { gamma: 0.9 })],
              milestones: [1],
            }),
          ['_milestones', 'last_epoch', '_last_lr', '_schedulers'],
        ],
        [
          'ChainedScheduler',
          (o) => new S.ChainedScheduler([new S.ConstantLR(o), new S.ExponentialLR(o, { gamma: 0.9 })], o),
          ['_last_lr', '_schedulers'],
        ],
      ];
      for (const [name, make, keys] of expectKeys) {
        const { sched } = mk(make);
        const sd = sched.stateDict({ layout: 'pytorch' });
        expect(new Set(Object.keys(sd)), name).toEqual(new Set(keys));
        if (name === 'MultiStepLR')
          expect(sd.milestones).toEqual(
            new Map([
              [2, 1],
              [4, 2],
            ]),
          );
        if (name === 'OneCycleLR') {
          expect(sd._schedule_phases[0]).toEqual({
            end_step: 5,
            start_lr: 'initial_lr',
            end_lr: 'max_lr',
            start_momentum: 'max_momentum',
            end_momentum: 'base_momentum',
          });
          expect(sd._anneal_func_type).toBe('cos');
        }
        if (name === 'LambdaLR') expect(sd.lr_lambdas).toEqual([null, null]);
        if (name === 'SequentialLR' || name === 'ChainedScheduler') {
          expect(Object.keys(sd._schedulers[0])).toContain('total_iters');
        }
        // Back into a fresh scheduler: the same stepwise state.
        const other = mk(make).sched;
        for (let i = 0; i < 3; i++) other.step(name === 'ReduceLROnPlateau' ? 1 : undefined);
        if (name === 'MultiStepLR') sd.milestones = { 2: 1, 4: 2 };
        other.loadStateDict(sd);
        expect(other.stateDict({ layout: 'pytorch' }), name).toEqual(sched.stateDict({ layout: 'pytorch' }));
        if (!['SequentialLR', 'ChainedScheduler', 'ReduceLROnPlateau'].includes(name)) {
          expect(other.stateDict(), name).toEqual(sched.stateDict());
        }
      }
    });

    it('scheduler loads that must fail name the key and change nothing: functions, anneal_func, bad values', () => {
      const { opt } = trained((g) => new torch.optim.SGD(g, { lr: 0.1, momentum: 0.9 }));
      const lam = new S.LambdaLR(opt, { lrLambda: (e) => 0.9 ** e });
      const sd = lam.stateDict({ layout: 'pytorch' });
      const before = lam.stateDict();
      let e = thrown(() => lam.loadStateDict({ ...sd, lr_lambdas: [{ factor: 2 }, null] }));
      expect(e.message).toMatch(/'lr_lambdas'.*callable object.*only be saved if they are callable objects/);
      e = thrown(() => lam.loadStateDict({ ...sd, last_epoch: 'x' }));
      expect(e.message).toMatch(/'last_epoch' must be an integer/);
      e = thrown(() => lam.loadStateDict({ ...sd, bogus_key: 1 }));
      expect(e.message).toMatch(/unexpected key 'bogus_key'/);
      e = thrown(() => lam.loadStateDict({ ...sd, lastEpoch: 2 }));
      expect(e.message).toMatch(/both 'last_epoch'.*'lastEpoch'/);
      expect(lam.stateDict()).toEqual(before);

      const one = new S.OneCycleLR(trained((g) => new torch.optim.SGD(g, { momentum: 0.9 })).opt, {
        maxLr: 0.1,
        totalSteps: 20,
      });
      const oneSd = one.stateDict({ layout: 'pytorch' });
      const oneBefore = one.stateDict();
      e = thrown(() => one.loadStateDict({ ...oneSd, anneal_func: null }));
      expect(e.message).toMatch(/'anneal_func' is PyTorch 1\.13's bound method.*_anneal_func_type/);
      e = thrown(() => one.loadStateDict({ ...oneSd, _anneal_func_type: 'step' }));
      expect(e.message).toMatch(/'_anneal_func_type' must be one of 'cos', 'linear'/);
      expect(one.stateDict()).toEqual(oneBefore);
      one.loadStateDict({ ...oneSd, _anneal_func_type: 'linear' });
      expect(one.annealStrategy).toBe('linear');

      const seqOpt = trained((g) => new torch.optim.SGD(g, { lr: 0.1 })).opt;
      const seq = new S.SequentialLR(seqOpt, {
        schedulers: [new S.ConstantLR(seqOpt), new S.ExponentialLR(seqOpt, { gamma: 0.9 })],
        milestones: [2],
      });
      const seqSd = seq.stateDict({ layout: 'pytorch' }) as Record<string, any>;
      const seqBefore = seq.stateDict();
      const bad = { ...seqSd, _schedulers: [seqSd._schedulers[0], { ...seqSd._schedulers[1], gamma: 'x' }] };
      e = thrown(() => seq.loadStateDict(bad));
      expect(e.message).toMatch(/'_schedulers\[1\]\.gamma' must be a finite number/);
      e = thrown(() => seq.loadStateDict({ ...seqSd, _milestones: [1, 2] }));
      expect(e.message).toMatch(/'_milestones' must hold 1 milestones/);
      expect(seq.stateDict()).toEqual(seqBefore);
    });
  });
}
