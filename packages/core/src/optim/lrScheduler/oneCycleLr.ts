import { ValueError } from '../../errors.js';
import type { Optimizer } from '../optimizer.js';
import { camelCase, snakeCase } from '../pytorchLayout.js';
import { formatParam, LRScheduler, type StateSchema } from './lrScheduler.js';
import { functionRefused, type SchedulerLayout } from './pytorchLayout.js';

/** The phases as PyTorch holds them (`_schedule_phases`: snake_case keys, naming the groups' snake_case keys), both ways. */
const phasesLayout = {
  toPytorch: (v: unknown): unknown =>
    (v as Record<string, unknown>[]).map((ph) =>
      Object.fromEntries(
        Object.entries(ph).map(([k, x]) => [snakeCase(k), typeof x === 'string' ? snakeCase(x) : x]),
      ),
    ),
  fromPytorch: (v: unknown): unknown => {
    if (!Array.isArray(v)) return v;
    return v.map((ph) =>
      ph !== null && typeof ph === 'object' && !Array.isArray(ph)
        ? Object.fromEntries(
            Object.entries(ph).map(([k, x]) => [camelCase(k), typeof x === 'string' ? camelCase(x) : x]),
          )
        : ph,
    );
  },
};

/** Options of `OneCycleLR`. */
export interface OneCycleLROptions {
  /** Upper learning-rate boundary of the cycle, one value or one per group (PyTorch's `max_lr`). */
  maxLr: number | readonly number[];
  /** Total number of steps of the cycle (PyTorch's `total_steps`). */
  totalSteps?: number | null;
  /** Epochs, with `stepsPerEpoch`, when `totalSteps` is not given (PyTorch's `epochs`). */
  epochs?: number | null;
  /** Steps per epoch (PyTorch's `steps_per_epoch`). */
  stepsPerEpoch?: number | null;
  /** Fraction of the cycle spent increasing the learning rate (PyTorch's `pct_start`). */
  pctStart?: number;
  /** Annealing strategy, `'cos'` or `'linear'` (PyTorch's `anneal_strategy`). */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle the momentum inversely to the learning rate (PyTorch's `cycle_momentum`). */
  cycleMomentum?: boolean;
  /** Lower momentum boundary of the cycle (PyTorch's `base_momentum`). */
  baseMomentum?: number | readonly number[];
  /** Upper momentum boundary of the cycle (PyTorch's `max_momentum`). */
  maxMomentum?: number | readonly number[];
  /** Initial lr = maxLr / divFactor (PyTorch's `div_factor`). */
  divFactor?: number;
  /** Minimum lr = initial lr / finalDivFactor (PyTorch's `final_div_factor`). */
  finalDivFactor?: number;
  /** Use a third phase that anneals to the minimum lr (PyTorch's `three_phase`). */
  threePhase?: boolean;
  /** Index of the last epoch; -1 starts fresh (PyTorch's `last_epoch`). */
  lastEpoch?: number;
}

interface Phase {
  endStep: number;
  startLr: string;
  endLr: string;
  startMomentum: string;
  endMomentum: string;
}

const phaseKeys = ['endStep', 'startLr', 'endLr', 'startMomentum', 'endMomentum'];
const groupKeys = ['initialLr', 'maxLr', 'minLr', 'maxMomentum', 'baseMomentum'];

/** The phases as the constructor writes them: 2 or 3 objects naming the group keys they anneal between. */
function checkPhases(v: unknown): string | null {
  const msg = `must be an array of 2 or 3 phases { ${phaseKeys.join(', ')} } (endStep a finite number, the others one of ${groupKeys.map((k) => `'${k}'`).join(', ')})`;
  if (!Array.isArray(v) || (v.length !== 2 && v.length !== 3)) return msg;
  for (const ph of v) {
    if (ph === null || typeof ph !== 'object' || Array.isArray(ph)) return msg;
    const keys = Object.keys(ph);
    if (keys.length !== phaseKeys.length || !phaseKeys.every((k) => Object.hasOwn(ph, k))) return msg;
    const { endStep, ...names } = ph as Record<string, unknown>;
    if (typeof endStep !== 'number' || !Number.isFinite(endStep)) return msg;
    if (!Object.values(names).every((n) => groupKeys.includes(n as string))) return msg;
  }
  return null;
}

/**
 * `torch.optim.lr_scheduler.OneCycleLR`: the 1cycle policy — warm up from maxLr/divFactor
 * to maxLr, then anneal to initialLr/finalDivFactor (three phases with `threePhase`);
 * momentum (or betas[0]) moves the other way. Stepping past `totalSteps` is an error.
 */
export class OneCycleLR extends LRScheduler {
  /** Total number of steps of the cycle (PyTorch's `total_steps`). */
  totalSteps: number;
  /** The phases: where each ends and the group keys it anneals between. */
  phases: Phase[];
  /** Annealing strategy, `'cos'` or `'linear'` (PyTorch's `anneal_strategy`). */
  annealStrategy: 'cos' | 'linear';
  /** Cycle the momentum inversely to the learning rate (PyTorch's `cycle_momentum`). */
  cycleMomentum: boolean;
  /** Whether the optimizer's momentum is `betas[0]` (Adam-like) rather than `momentum`. */
  useBeta1 = false;

  constructor(optimizer: Optimizer, opts: OneCycleLROptions) {
    const lastEpoch = opts.lastEpoch ?? -1;
    let totalSteps: number;
    if (opts.totalSteps == null && opts.epochs == null && opts.stepsPerEpoch == null) {
      throw new ValueError('You must define either total_steps OR (epochs AND steps_per_epoch)');
    } else if (opts.totalSteps != null) {
      if (!Number.isInteger(opts.totalSteps) || opts.totalSteps <= 0) {
        throw new ValueError(`Expected positive integer total_steps, but got ${opts.totalSteps}`);
      }
      totalSteps = opts.totalSteps;
    } else {
      if (!Number.isInteger(opts.epochs) || (opts.epochs as number) <= 0) {
        throw new ValueError(`Expected positive integer epochs, but got ${opts.epochs}`);
      }
      if (!Number.isInteger(opts.stepsPerEpoch) || (opts.stepsPerEpoch as number) <= 0) {
        throw new ValueError(`Expected positive integer steps_per_epoch, but got ${opts.stepsPerEpoch}`);
      }
      totalSteps = (opts.epochs as number) * (opts.stepsPerEpoch as number);
    }
    const pct = opts.pctStart ?? 0.3;
    if (!(pct >= 0 && pct <= 1))
      throw new ValueError(`Expected float between 0 and 1 pct_start, but got ${pct}`);
    const anneal = opts.annealStrategy ?? 'cos';
    if (anneal !== 'cos' && anneal !== 'linear') {
      throw new ValueError(`anneal_strategy must be one of 'cos' or 'linear', instead got ${anneal}`);
    }
    const divFactor = opts.divFactor ?? 25;
    const finalDivFactor = opts.finalDivFactor ?? 1e4;
    const maxLrs = formatParam('max_lr', optimizer, opts.maxLr);
    if (lastEpoch === -1) {
      optimizer.paramGroups.forEach((g, i) => {
        g.initialLr = maxLrs[i]! / divFactor;
        g.maxLr = maxLrs[i];
        g.minLr = g.initialLr / finalDivFactor;
      });
    }
    const cycleMomentum = opts.cycleMomentum ?? true;
    let useBeta1 = false;
    if (cycleMomentum) {
      if (!('momentum' in optimizer.defaults) && !('betas' in optimizer.defaults)) {
        throw new ValueError('optimizer must support momentum or beta1 with `cycle_momentum` option enabled');
      }
      useBeta1 = 'betas' in optimizer.defaults;
      const maxM = formatParam('max_momentum', optimizer, opts.maxMomentum ?? 0.95);
      const baseM = formatParam('base_momentum', optimizer, opts.baseMomentum ?? 0.85);
      if (lastEpoch === -1) {
        optimizer.paramGroups.forEach((g, i) => {
          if (useBeta1) g.betas = [maxM[i], ...g.betas.slice(1)];
          else g.momentum = maxM[i];
          g.maxMomentum = maxM[i];
          g.baseMomentum = baseM[i];
        });
      }
    }
    super(optimizer, lastEpoch);
    this.totalSteps = totalSteps;
    this.phases = opts.threePhase
      ? [
          {
            endStep: pct * totalSteps - 1,
            startLr: 'initialLr',
            endLr: 'maxLr',
            startMomentum: 'maxMomentum',
            endMomentum: 'baseMomentum',
          },
          {
            endStep: 2 * pct * totalSteps - 2,
            startLr: 'maxLr',
            endLr: 'initialLr',
            startMomentum: 'baseMomentum',
            endMomentum: 'maxMomentum',
          },
          {
            endStep: totalSteps - 1,
            startLr: 'initialLr',
            endLr: 'minLr',
            startMomentum: 'maxMomentum',
            endMomentum: 'maxMomentum',
          },
        ]
      : [
          {
            endStep: pct * totalSteps - 1,
            startLr: 'initialLr',
            endLr: 'maxLr',
            startMomentum: 'maxMomentum',
            endMomentum: 'baseMomentum',
          },
          {
            endStep: totalSteps - 1,
            startLr: 'maxLr',
            endLr: 'minLr',
            startMomentum: 'baseMomentum',
            endMomentum: 'maxMomentum',
          },
        ];
    this.annealStrategy = anneal;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    this._initialStep();
  }

  protected override _stateSchema(): StateSchema {
    return {
      ...super._stateSchema(),
      totalSteps: { kind: 'int', min: 1 },
      phases: { kind: 'custom', check: checkPhases },
      annealStrategy: { kind: 'string', oneOf: ['cos', 'linear'] },
      cycleMomentum: { kind: 'bool' },
      useBeta1: { kind: 'bool' },
    };
  }

  /**
   * @internal `phases` is PyTorch's `_schedule_phases`, `annealStrategy` latest PyTorch's
   * `_anneal_func_type` ('cos' | 'linear'). PyTorch 1.13 held a bound method
   * (`anneal_func`) instead, which cannot cross: it is refused with what to do.
   */
  override _pytorchLayout(): SchedulerLayout {
    const base = super._pytorchLayout();
    return {
      ...base,
      omit: [...(base.omit ?? []), ...(this.cycleMomentum ? [] : ['useBeta1'])],
      rename: { phases: '_schedule_phases', annealStrategy: '_anneal_func_type' },
      values: { phases: phasesLayout },
      extra: {
        ...base.extra,
        anneal_func: {
          write: false,
          check: functionRefused(
            'bound method OneCycleLR._annealing_cos/_annealing_linear',
            "Delete it from the dict in PyTorch before saving (del sd['anneal_func']) and build the OneCycleLR with the same annealStrategy; PyTorch 2.x saves '_anneal_func_type' instead, which crosses.",
          ),
        },
      },
    };
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'linear') return (end - start) * pct + start;
    return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  }

  getLr(): number[] {
    this._warnOutsideStep();
    const step = this.lastEpoch;
    if (step > this.totalSteps) {
      throw new ValueError(
        `Tried to step ${step + 1} times. The specified number of total steps is ${this.totalSteps}`,
      );
    }
    return this.optimizer.paramGroups.map((g) => {
      let start = 0;
      let lr = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const ph = this.phases[i]!;
        if (step <= ph.endStep || i === this.phases.length - 1) {
          const pct = (step - start) / (ph.endStep - start);
          lr = this.anneal(g[ph.startLr], g[ph.endLr], pct);
          if (this.cycleMomentum) {
            const m = this.anneal(g[ph.startMomentum], g[ph.endMomentum], pct);
            if (this.useBeta1) g.betas = [m, ...g.betas.slice(1)];
            else g.momentum = m;
          }
          break;
        }
        start = ph.endStep;
      }
      return lr;
    });
  }
}
