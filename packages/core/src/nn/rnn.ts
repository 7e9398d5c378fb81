/**
 * `nn.RNN`, `nn.LSTM`, `nn.GRU` and the cells `nn.RNNCell`, `nn.LSTMCell`, `nn.GRUCell`,
 * with PyTorch's constructors, parameter names and layouts (`weight_ih_l0`,
 * `weight_hh_l0_reverse`, ...; gates i, f, g, o for the LSTM and r, z, n for the GRU),
 * default initialisation (every parameter uniform in ±1/√hiddenSize, in parameter order,
 * so `manualSeed` gives PyTorch's values) and forward signatures.
 *
 * A sequence layer computes the input projection of the whole sequence with one matmul
 * (`F.linear`, through ordinary autograd), then runs the recurrence of each layer and
 * direction as one autograd node (`rnnCore.ts`): per step one matmul with W_hh and one
 * fused program for the gate arithmetic, and backpropagation through time in its backward.
 * The cells are composed from ordinary autograd ops, as PyTorch's.
 */
import { ShapeError, shapeStr, ValueError } from '../errors.js';
import { cat, stack } from '../ops/shape.js';
import { alloc } from '../ops/util.js';
import { resolveBackend } from '../registry.js';
import { Tensor } from '../tensor.js';
import { dropout as dropoutFn } from './functional/dropout.js';
import { linear } from './functional/linear.js';
import { uniform_ } from './init.js';
import type { FactoryOptions } from './linear.js';
import { describe, Module } from './module.js';
import { Parameter } from './parameter.js';
import { pyBool, pyFloat } from './pyRepr.js';
import { gateCount, type RnnMode, recurrence } from './rnnCore.js';

/** Options of `nn.RNN` / `nn.LSTM` / `nn.GRU` after `inputSize, hiddenSize`. */
export interface RNNOptions extends FactoryOptions {
  /** Stacked recurrent layers. Default 1. */
  numLayers?: number;
  /** Biases b_ih and b_hh. Default true. */
  bias?: boolean;
  /** Input and output as [batch, seq, feature] instead of [seq, batch, feature]. Default false. */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training mode. Default 0. */
  dropout?: number;
  /** A second pass over the reversed sequence; outputs concatenated. Default false. */
  bidirectional?: boolean;
}

/** `nn.RNN`'s options: also the nonlinearity. */
export interface RNNModuleOptions extends RNNOptions {
  /** The nonlinearity, `'tanh'` or `'relu'` (PyTorch's `nonlinearity`). */
  nonlinearity?: 'tanh' | 'relu';
}

function checkSize(what: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new ValueError(`${what}: ${name} must be an integer >= ${min}, got ${String(v)}`);
  }
  return v;
}

/** A fresh parameter of `shape`, uniform in ±bound (PyTorch's RNN init), drawn now. */
function uniformParameter(shape: readonly number[], bound: number, opts: FactoryOptions): Parameter {
  const t = alloc(shape, opts.dtype ?? 'float32', resolveBackend(opts.backend));
  if (t.numel() > 0) uniform_(t, -bound, bound);
  const p = new Parameter(t);
  t.dispose();
  return p;
}

function checkFloat(what: string, name: string, t: unknown, dtype: string): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${what}: ${name} must be a Tensor, got ${describe(t)}`);
  if (t.dtype !== dtype) {
    throw new TypeError(
      `${what}: ${name} must have the type ${dtype} (the parameters' dtype), got type ${t.dtype}`,
    );
  }
  return t;
}

/**
 * PyTorch's `RNNBase`: the parameters of every layer and direction, named and laid out as
 * PyTorch's, and the forward over a sequence. Subclasses fix the mode.
 */
export abstract class RNNBase extends Module {
  /** The cell type: `'RNN_TANH'`, `'RNN_RELU'`, `'LSTM'` or `'GRU'` (PyTorch's `mode`). */
  readonly mode: RnnMode;
  /** Number of features of the input (PyTorch's `input_size`). */
  readonly inputSize: number;
  /** Number of features of the hidden state (PyTorch's `hidden_size`). */
  readonly hiddenSize: number;
  /** Number of stacked layers (PyTorch's `num_layers`). */
  readonly numLayers: number;
  /** Whether the layers have biases (PyTorch's `bias`). */
  readonly bias: boolean;
  /**
   * Inputs and outputs are `[batch, seq, feature]` instead of `[seq, batch, feature]` (PyTorch's
   * `batch_first`).
   */
  readonly batchFirst: boolean;
  /** Dropout probability between layers (PyTorch's `dropout`). */
  readonly dropout: number;
  /** Run a second, reversed direction (PyTorch's `bidirectional`). */
  readonly bidirectional: boolean;
  /** Parameter names in PyTorch's order (`_flat_weights_names`). */
  readonly flatWeightsNames: readonly string[];
  /**
   * Input-to-hidden weights of layer 0 (PyTorch's name; deeper layers and reverse directions add
   * `weight_ih_l1`, `_reverse`, ...).
   */
  declare weight_ih_l0: Parameter;
  /** Hidden-to-hidden weights of layer 0 (PyTorch's name). */
  declare weight_hh_l0: Parameter;
  /** Input-to-hidden bias of layer 0 (PyTorch's name). */
  declare bias_ih_l0: Parameter | undefined;
  /** Hidden-to-hidden bias of layer 0 (PyTorch's name). */
  declare bias_hh_l0: Parameter | undefined;

  constructor(mode: RnnMode, inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    super();
    const what = mode === 'LSTM' ? 'LSTM' : mode === 'GRU' ? 'GRU' : 'RNN';
    this.mode = mode;
    this.inputSize = checkSize(what, 'input_size', inputSize, 1);
    this.hiddenSize = checkSize(what, 'hidden_size', hiddenSize, 1);
    this.numLayers = checkSize(what, 'num_layers', opts.numLayers ?? 1, 1);
    this.bias = opts.bias ?? true;
    this.batchFirst = opts.batchFirst ?? false;
    this.bidirectional = opts.bidirectional ?? false;
    const dropout = opts.dropout ?? 0;
    if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1)) {
      throw new ValueError(
        'dropout should be a number in range [0, 1] representing the probability of an element being zeroed',
      );
    }
    if (dropout > 0 && this.numLayers === 1) {
      console.warn(
        `dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects num_layers greater than 1, but got dropout=${dropout} and num_layers=${this.numLayers}`,
      );
    }
    this.dropout = dropout;
    const G = gateCount(mode) * hiddenSize;
    const dirs = this.bidirectional ? 2 : 1;
    const names: string[] = [];
    const shapes: number[][] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      const layerInput = layer === 0 ? inputSize : hiddenSize * dirs;
      for (let d = 0; d < dirs; d++) {
        const suffix = `_l${layer}${d === 1 ? '_reverse' : ''}`;
        names.push(`weight_ih${suffix}`, `weight_hh${suffix}`);
        shapes.push([G, layerInput], [G, hiddenSize]);
        if (this.bias) {
          names.push(`bias_ih${suffix}`, `bias_hh${suffix}`);
          shapes.push([G], [G]);
        }
      }
    }
    this.flatWeightsNames = names;
    // PyTorch's reset_parameters: every weight uniform in ±1/√hidden, in this order.
    const bound = 1 / Math.sqrt(hiddenSize);
    names.forEach((name, i) => {
      (this as any)[name] = uniformParameter(shapes[i]!, bound, opts);
    });
  }

  /** The parameters by layer and direction: `[w_ih, w_hh, b_ih, b_hh]` each (PyTorch's `all_weights`). */
  get allWeights(): Parameter[][] {
    const per = this.bias ? 4 : 2;
    const out: Parameter[][] = [];
    for (let i = 0; i < this.flatWeightsNames.length; i += per) {
      out.push(this.flatWeightsNames.slice(i, i + per).map((n) => (this as any)[n] as Parameter));
    }
    return out;
  }

  /** The four parameters of one layer and direction (biases null without `bias`). */
  private weightsOf(layer: number, dir: number): [Tensor, Tensor, Tensor | null, Tensor | null] {
    const s = `_l${layer}${dir === 1 ? '_reverse' : ''}`;
    const self = this as any;
    return [
      self[`weight_ih${s}`],
      self[`weight_hh${s}`],
      self[`bias_ih${s}`] ?? null,
      self[`bias_hh${s}`] ?? null,
    ];
  }

  private get what(): string {
    return this.constructor.name;
  }

  /**
   * The sequence forward. `states` are the initial states ([h0] or [h0, c0]), each
   * [numLayers·dirs, B, H] (or [numLayers·dirs, H] unbatched), or null for zeros. Returns
   * the output and the final states in the same layout.
   */
  protected runSequence(input: Tensor, states: (Tensor | null)[]): [Tensor, Tensor[]] {
    const what = this.what;
    const w0 = this.weight_ih_l0;
    if (!(input instanceof Tensor))
      throw new TypeError(`${what}: input must be a Tensor, got ${describe(input)}`);
    if (input.dim() !== 2 && input.dim() !== 3) {
      throw new ValueError(
        `${what}: Expected input to be 2D or 3D, got ${input.dim()}D input of shape ${shapeStr(input.shape)}`,
      );
    }
    checkFloat(what, 'input', input, w0.dtype);
    const batched = input.dim() === 3;
    if (input.shape[input.dim() - 1] !== this.inputSize) {
      throw new ShapeError(
        `${what}: input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${input.shape[input.dim() - 1]}`,
      );
    }
    const x = batched ? (this.batchFirst ? input.transpose(0, 1) : input) : input.unsqueeze(1);
    const T = x.shape[0]!;
    const B = x.shape[1]!;
    if (T === 0) throw new ValueError(`${what}: Expected sequence length to be larger than 0 in RNN`);
    const dirs = this.bidirectional ? 2 : 1;
    const H = this.hiddenSize;
    const want = [this.numLayers * dirs, B, H];
    const init = states.map((s, k) => {
      const name = states.length > 1 ? `hx[${k}]` : 'hx';
      if (s === null || s === undefined) {
        const z = alloc(want, w0.dtype, input.backend);
        return z;
      }
      checkFloat(what, name, s, w0.dtype);
      if (!batched) {
        if (s.dim() !== 2) {
          throw new ShapeError(
            `${what}: For unbatched 2-D input, ${name} should also be 2-D but got ${s.dim()}-D tensor`,
          );
        }
        s = s.unsqueeze(1);
      } else if (s.dim() !== 3) {
        throw new ShapeError(
          `${what}: For batched 3-D input, ${name} should also be 3-D but got ${s.dim()}-D tensor`,
        );
      }
      if (s.shape.some((d, i) => d !== want[i])) {
        const shown = batched ? want : [want[0]!, want[2]!];
        throw new ShapeError(
          `${what}: Expected hidden${states.length > 1 ? `[${k}]` : ''} size ${shapeStr(shown)}, got ${shapeStr(batched ? s.shape : [s.shape[0]!, s.shape[2]!])}`,
        );
      }
      return s;
    });
    const lstm = this.mode === 'LSTM';
    const gru = this.mode === 'GRU';
    const hN: Tensor[] = [];
    const cN: Tensor[] = [];
    let layerInput = x;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < dirs; d++) {
        const [wih, whh, bih, bhh] = this.weightsOf(layer, d);
        let projBias: Tensor | null = null;
        let bhn: Tensor | null = null;
        if (bih && bhh) {
          if (gru) {
            // b_hr and b_hz add to the projection; b_hn stays inside r·(W_hn h + b_hn).
            projBias = cat([bih.narrow(0, 0, 2 * H).add(bhh.narrow(0, 0, 2 * H)), bih.narrow(0, 2 * H, H)]);
            bhn = bhh.narrow(0, 2 * H, H);
          } else projBias = bih.add(bhh);
        }
        const xg = linear(layerInput, wih, projBias);
        const idx = layer * dirs + d;
        const h0 = init[0]!.select(0, idx);
        const c0 = lstm ? init[1]!.select(0, idx) : null;
        const R = recurrence(this.mode, xg, h0, c0, whh, bhn, d === 1);
        outs.push(R.narrow(0, 0, T));
        hN.push(R.select(0, d === 1 ? 0 : T - 1));
        if (lstm) cN.push(R.select(0, T));
      }
      let out = dirs === 2 ? cat(outs, 2) : outs[0]!;
      if (this.dropout > 0 && this.training && layer < this.numLayers - 1) {
        out = dropoutFn(out, { p: this.dropout, training: true });
      }
      layerInput = out;
    }
    let output = layerInput;
    if (!batched) output = output.squeeze(1);
    else if (this.batchFirst) output = output.transpose(0, 1);
    const finals = [stack(hN, 0), ...(lstm ? [stack(cN, 0)] : [])].map((t) => (batched ? t : t.squeeze(1)));
    return [output, finals];
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += `, bias=${pyBool(this.bias)}`;
    if (this.batchFirst) s += `, batch_first=${pyBool(this.batchFirst)}`;
    if (this.dropout !== 0) s += `, dropout=${pyFloat(this.dropout)}`;
    if (this.bidirectional) s += `, bidirectional=${pyBool(this.bidirectional)}`;
    return s;
  }
}

/**
 * `torch.nn.RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
 * batch_first=False, dropout=0, bidirectional=False)`: h_t = tanh(x_t W_ihᵀ + b_ih +
 * h_{t−1} W_hhᵀ + b_hh) (or relu). `forward(input, hx?)` → `[output, hN]`.
 */
export class RNN extends RNNBase {
  /** The nonlinearity, `'tanh'` or `'relu'` (PyTorch's `nonlinearity`). */
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, opts: RNNModuleOptions = {}) {
    const nl = opts.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu')
      throw new ValueError(`Unknown nonlinearity '${String(nl)}'. Select from 'tanh' or 'relu'.`);
    super(nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, opts);
    this.nonlinearity = nl;
  }

  /**
   * input [T, B, inputSize] ([B, T, inputSize] with batchFirst, [T, inputSize] unbatched);
   * hx [numLayers·dirs, B, H] or null (zeros). Returns `[output [T, B, dirs·H], hN]`.
   */
  forward(input: Tensor, hx: Tensor | null = null): [Tensor, Tensor] {
    const [out, [h]] = this.runSequence(input, [hx]);
    return [out, h!];
  }
}

/**
 * `torch.nn.LSTM`: gates i, f, g, o in that order in every weight's rows;
 * c_t = f·c_{t−1} + i·g, h_t = o·tanh(c_t). `forward(input, [h0, c0]?)` →
 * `[output, [hN, cN]]`. (`proj_size` is not supported.)
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    super('LSTM', inputSize, hiddenSize, opts);
  }

  forward(input: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, [Tensor, Tensor]] {
    if (hx !== null && (!Array.isArray(hx) || hx.length !== 2)) {
      throw new TypeError('LSTM: hx must be a pair [h0, c0] of tensors, or null');
    }
    const [out, [h, c]] = this.runSequence(input, hx ? [hx[0], hx[1]] : [null, null]);
    return [out, [h!, c!]];
  }
}

/**
 * `torch.nn.GRU`: gates r, z, n in that order; n = tanh(W_in x + b_in + r·(W_hn h + b_hn)),
 * h' = (1 − z)·n + z·h. `forward(input, hx?)` → `[output, hN]`.
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    super('GRU', inputSize, hiddenSize, opts);
  }

  forward(input: Tensor, hx: Tensor | null = null): [Tensor, Tensor] {
    const [out, [h]] = this.runSequence(input, [hx]);
    return [out, h!];
  }
}

// ---------------------------------------------------------------- cells

/** PyTorch's `RNNCellBase`: weight_ih [G·H, in], weight_hh [G·H, H], bias_ih, bias_hh. */
export abstract class RNNCellBase extends Module {
  /** Number of features of the input (PyTorch's `input_size`). */
  readonly inputSize: number;
  /** Number of features of the hidden state (PyTorch's `hidden_size`). */
  readonly hiddenSize: number;
  /** Whether the layers have biases (PyTorch's `bias`). */
  readonly bias: boolean;
  /** Input-to-hidden weights (PyTorch's name). */
  weight_ih: Parameter;
  /** Hidden-to-hidden weights (PyTorch's name). */
  weight_hh: Parameter;
  /** Input-to-hidden bias, or `null` (PyTorch's name). */
  bias_ih: Parameter | null;
  /** Hidden-to-hidden bias, or `null` (PyTorch's name). */
  bias_hh: Parameter | null;

  constructor(
    inputSize: number,
    hiddenSize: number,
    gates: number,
    opts: { bias?: boolean } & FactoryOptions,
  ) {
    super();
    const what = new.target.name;
    this.inputSize = checkSize(what, 'input_size', inputSize, 1);
    this.hiddenSize = checkSize(what, 'hidden_size', hiddenSize, 1);
    this.bias = opts.bias ?? true;
    const bound = 1 / Math.sqrt(hiddenSize);
    this.weight_ih = uniformParameter([gates * hiddenSize, inputSize], bound, opts);
    this.weight_hh = uniformParameter([gates * hiddenSize, hiddenSize], bound, opts);
    this.bias_ih = this.bias ? uniformParameter([gates * hiddenSize], bound, opts) : null;
    this.bias_hh = this.bias ? uniformParameter([gates * hiddenSize], bound, opts) : null;
  }

  /** Checks input and states; makes them batched. Returns [input, states, batched]. */
  protected prepare(input: Tensor, states: (Tensor | null)[]): [Tensor, Tensor[], boolean] {
    const what = this.constructor.name;
    if (!(input instanceof Tensor))
      throw new TypeError(`${what}: input must be a Tensor, got ${describe(input)}`);
    if (input.dim() !== 1 && input.dim() !== 2) {
      throw new ValueError(`${what}: Expected input to be 1D or 2D, got ${input.dim()}D instead`);
    }
    checkFloat(what, 'input', input, this.weight_ih.dtype);
    if (input.shape[input.dim() - 1] !== this.inputSize) {
      throw new ShapeError(
        `${what}: input has inconsistent input_size: got ${input.shape[input.dim() - 1]} expected ${this.inputSize}`,
      );
    }
    const batched = input.dim() === 2;
    const x = batched ? input : input.unsqueeze(0);
    const B = x.shape[0]!;
    const out = states.map((s, k) => {
      const name = states.length > 1 ? `hx[${k}]` : 'hx';
      if (s === null || s === undefined) return alloc([B, this.hiddenSize], x.dtype, x.backend);
      checkFloat(what, name, s, x.dtype);
      if (s.dim() !== input.dim()) {
        throw new ValueError(
          `${what}: Expected ${name} to be ${input.dim()}D (as the input), got ${s.dim()}D instead`,
        );
      }
      const b = batched ? s : s.unsqueeze(0);
      if (b.shape[0] !== B || b.shape[1] !== this.hiddenSize) {
        throw new ShapeError(
          `${what}: ${name} has shape ${shapeStr(s.shape)}, expected ${shapeStr(batched ? [B, this.hiddenSize] : [this.hiddenSize])}`,
        );
      }
      return b;
    });
    return [x, out, batched];
  }

  /** The gate pre-activations' two halves: x W_ihᵀ + b_ih and h W_hhᵀ + b_hh. */
  protected projections(x: Tensor, h: Tensor): [Tensor, Tensor] {
    return [linear(x, this.weight_ih, this.bias_ih), linear(h, this.weight_hh, this.bias_hh)];
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (!this.bias) s += `, bias=${pyBool(this.bias)}`;
    return s;
  }
}

/** `torch.nn.RNNCell(input_size, hidden_size, bias=True, nonlinearity='tanh')`: one step. */
export class RNNCell extends RNNCellBase {
  /** The nonlinearity, `'tanh'` or `'relu'` (PyTorch's `nonlinearity`). */
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(
    inputSize: number,
    hiddenSize: number,
    opts: { bias?: boolean; nonlinearity?: 'tanh' | 'relu' } & FactoryOptions = {},
  ) {
    const nl = opts.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new ValueError(`Unknown nonlinearity: ${String(nl)}`);
    super(inputSize, hiddenSize, 1, opts);
    this.nonlinearity = nl;
  }

  /** input [B, in] or [in]; hx [B, H] or [H] (zeros when omitted) → h' of hx's shape. */
  forward(input: Tensor, hx: Tensor | null = null): Tensor {
    const [x, [h], batched] = this.prepare(input, [hx]);
    const [gi, gh] = this.projections(x, h!);
    const pre = gi.add(gh);
    const out = this.nonlinearity === 'tanh' ? pre.tanh() : pre.relu();
    return batched ? out : out.squeeze(0);
  }

  override extraRepr(): string {
    return super.extraRepr() + (this.nonlinearity !== 'tanh' ? `, nonlinearity=${this.nonlinearity}` : '');
  }
}

/** `torch.nn.LSTMCell(input_size, hidden_size, bias=True)`: `forward(input, [h, c]?)` → `[h', c']`. */
export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, opts: { bias?: boolean } & FactoryOptions = {}) {
    super(inputSize, hiddenSize, 4, opts);
  }

  forward(input: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    if (hx !== null && (!Array.isArray(hx) || hx.length !== 2)) {
      throw new TypeError('LSTMCell: hx must be a pair [h, c] of tensors, or null');
    }
    const [x, [h, c], batched] = this.prepare(input, hx ? [hx[0], hx[1]] : [null, null]);
    const [gi, gh] = this.projections(x, h!);
    const [i, f, g, o] = gi.add(gh).chunk(4, 1) as [Tensor, Tensor, Tensor, Tensor];
    const cy = f.sigmoid().mul(c!).add(i.sigmoid().mul(g.tanh()));
    const hy = o.sigmoid().mul(cy.tanh());
    return batched ? [hy, cy] : [hy.squeeze(0), cy.squeeze(0)];
  }
}

/** `torch.nn.GRUCell(input_size, hidden_size, bias=True)`: one step, `forward(input, hx?)` → h'. */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, opts: { bias?: boolean } & FactoryOptions = {}) {
    super(inputSize, hiddenSize, 3, opts);
  }

  forward(input: Tensor, hx: Tensor | null = null): Tensor {
    const [x, [h], batched] = this.prepare(input, [hx]);
    const [gi, gh] = this.projections(x, h!);
    const [ir, iz, inn] = gi.chunk(3, 1) as [Tensor, Tensor, Tensor];
    const [hr, hz, hn] = gh.chunk(3, 1) as [Tensor, Tensor, Tensor];
    const r = ir.add(hr).sigmoid();
    const z = iz.add(hz).sigmoid();
    const n = inn.add(r.mul(hn)).tanh();
    const hy = n.add(z.mul(h!.sub(n)));
    return batched ? hy : hy.squeeze(0);
  }
}
