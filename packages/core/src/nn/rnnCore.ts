/**
 * The recurrence of `nn.RNN`, `nn.LSTM` and `nn.GRU`: one layer, one direction, over a
 * whole sequence, as ONE autograd node.
 *
 * Why one node and not autograd of per-step ops: a step reads row t of the input
 * projection computed for the whole sequence at once, and the backward of such a slice is
 * a zero tensor of the whole projection with the slice written in (PyTorch's
 * SelectBackward0) — O(T) per step, O(T²) per sequence — plus ~15 graph nodes per step.
 * This node runs the same arithmetic with the backend's kernels and fused programs, saves
 * the gate activations, and its backward is the usual backpropagation through time:
 * per step one fused program for the gate gradients and one matmul for dh; after the
 * loop one matmul for the whole sequence's dW_hh, and the gate gradients of every step
 * ARE the gradient of the input projection (which autograd then takes through the
 * ordinary matmul of `F.linear` to W_ih, b_ih and the input).
 *
 * Per step forward: h·W_hhᵀ (one matmul), the gate pre-activations (one add per gate,
 * reading the projection in place), one fused program (activations, c, h). Per step
 * backward: one add (dh), one or two fused programs, one matmul. Fused programs stay
 * within 8 buffers (WebGPU's default binding limit).
 */
import { recordOp } from '../autograd/graph.js';
import type { Backend, View } from '../backend.js';
import { isGradEnabled } from '../engine.js';
import { defineFused, Ex } from '../fused/program.js';
import { runFused } from '../fused/run.js';
import { alloc } from '../ops/util.js';
import type { Tensor } from '../tensor.js';

export type RnnMode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

/** Number of gates: the rows of W_ih / W_hh are `gates · hiddenSize`. */
export function gateCount(mode: RnnMode): number {
  return mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1;
}

const sigmoid = (x: Ex): Ex => Ex.const(1).div(x.neg().exp().add(1));
const one = (x: Ex): Ex => Ex.const(1).sub(x);

/** LSTM step: gate pre-activations in place → activations; c = f·c' + i·g; h = o·tanh(c). */
const LSTM_FWD = defineFused('lstm_cell', ['i', 'f', 'g', 'o', 'cp', 'c', 'h'], [], (b) => {
  b.store('i', sigmoid(b.buf.i));
  b.store('f', sigmoid(b.buf.f));
  b.store('g', b.buf.g.tanh());
  b.store('o', sigmoid(b.buf.o));
  b.store('c', b.buf.f.mul(b.buf.cp).add(b.buf.i.mul(b.buf.g)));
  b.store('h', b.buf.o.mul(b.buf.c.tanh()));
});

/** LSTM backward, part 1: the output gate's gradient, and dc += dh·o·(1 − tanh²c). */
const LSTM_BWD_H = defineFused('lstm_cell_backward_h', ['dh', 'dc', 'o', 'c', 'do'], [], (b) => {
  const tc = b.let(b.buf.c.tanh());
  const o = b.buf.o;
  b.store('do', b.buf.dh.mul(tc).mul(one(o).mul(o)));
  b.store('dc', b.buf.dc.add(b.buf.dh.mul(o).mul(one(tc.mul(tc)))));
});

/** LSTM backward, part 2: the gradients of i, f, g; dc becomes the previous step's dc. */
const LSTM_BWD_C = defineFused(
  'lstm_cell_backward_c',
  ['dc', 'i', 'f', 'g', 'cp', 'di', 'df', 'dg'],
  [],
  (b) => {
    const dc = b.let(b.buf.dc);
    const { i, f, g } = b.buf;
    b.store('di', dc.mul(g).mul(one(i).mul(i)));
    b.store('df', dc.mul(b.buf.cp).mul(one(f).mul(f)));
    b.store('dg', dc.mul(i).mul(one(g.mul(g))));
    b.store('dc', dc.mul(f));
  },
);

/**
 * GRU step (PyTorch's formulas): r, z = σ(pre) in place; n = tanh(x_n + r·(W_hn h + b_hn));
 * h = n + z·(h' − n).
 */
const GRU_FWD = defineFused('gru_cell', ['r', 'z', 'xn', 'hn', 'hp', 'n', 'h'], [], (b) => {
  b.store('r', sigmoid(b.buf.r));
  b.store('z', sigmoid(b.buf.z));
  b.store('n', b.buf.xn.add(b.buf.r.mul(b.buf.hn)).tanh());
  b.store('h', b.buf.n.add(b.buf.z.mul(b.buf.hp.sub(b.buf.n))));
});

/** GRU backward, part 1: dz, dn (into `dxn`), and the direct part of dh' (dh·z). */
const GRU_BWD_H = defineFused('gru_cell_backward_h', ['dh', 'z', 'n', 'hp', 'dz', 'dxn', 'dhp'], [], (b) => {
  const { dh, z, n } = b.buf;
  b.store('dz', dh.mul(b.buf.hp.sub(n)).mul(one(z).mul(z)));
  b.store('dxn', dh.mul(one(z)).mul(one(n.mul(n))));
  b.store('dhp', dh.mul(z));
});

/** GRU backward, part 2: dr and the gradient of W_hn h + b_hn. */
const GRU_BWD_R = defineFused('gru_cell_backward_r', ['dxn', 'r', 'hn', 'dr', 'dhn'], [], (b) => {
  const { dxn, r } = b.buf;
  b.store('dr', dxn.mul(b.buf.hn).mul(one(r).mul(r)));
  b.store('dhn', dxn.mul(r));
});

const RNN_TANH_BWD = defineFused('rnn_tanh_backward', ['dh', 'h', 'dpre'], [], (b) => {
  b.store('dpre', b.buf.dh.mul(one(b.buf.h.mul(b.buf.h))));
});

const RNN_RELU_BWD = defineFused('rnn_relu_backward', ['dh', 'h', 'dpre'], [], (b) => {
  b.store('dpre', Ex.select(b.buf.h.gt(0), b.buf.dh, 0));
});

/** `a @ b` for 2-D tensors (transposes read in place), no autograd. */
function mm(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  const m = transA ? a.shape[1]! : a.shape[0]!;
  const k = transA ? a.shape[0]! : a.shape[1]!;
  const n = transB ? b.shape[0]! : b.shape[1]!;
  const out = alloc([m, n], a.dtype, a.backend);
  a.backend.matmul(
    a.storage,
    b.storage,
    out.storage,
    { batch: 1, m, k, n },
    { transA, transB, aBatchStride: 0, bBatchStride: 0 },
  );
  return out;
}

/** A [rows, width] view of `storage` at `offset` with row stride `rowStride`. */
function block(
  storage: View['storage'],
  rows: number,
  width: number,
  rowStride: number,
  offset: number,
): View {
  return { storage, shape: [rows, width], strides: [rowStride, 1], offset };
}

/** A contiguous tensor's whole storage as a [rows, width] view. */
function whole(t: Tensor, rows: number, width: number): View {
  return block(t.storage, rows, width, width, 0);
}

interface Step {
  /** Saved per step, by name (whole [B, H] tensors). */
  readonly s: Record<string, Tensor>;
}

/**
 * Runs one layer and direction. `xg` [T, B, G·H] is the input projection (biases folded in
 * as the caller decides), `h0`/`c0` [B, H] the initial state, `whh` [G·H, H], `bhn` the
 * GRU's b_hn [H] (applied inside r·(W_hn h + b_hn)), or null. Returns one tensor R of
 * [T, B, H] with h_t at row t in time order, plus (LSTM) a last row T holding c at the
 * end of the pass. `reverse` runs t = T−1 … 0.
 */
export function recurrence(
  mode: RnnMode,
  xg: Tensor,
  h0: Tensor,
  c0: Tensor | null,
  whh: Tensor,
  bhn: Tensor | null,
  reverse: boolean,
): Tensor {
  const [T, B, GH] = xg.shape as [number, number, number];
  const H = whh.shape[1]!;
  const backend: Backend = xg.backend;
  const dtype = xg.dtype;
  const lstm = mode === 'LSTM';
  const gru = mode === 'GRU';
  const inputs = [xg, h0, ...(c0 ? [c0] : []), whh, ...(bhn ? [bhn] : [])];
  const grad = isGradEnabled() && inputs.some((t) => t.requiresGrad);

  const R = alloc([lstm ? T + 1 : T, B, H], dtype, backend);
  const rStorage = R.storage;
  // The projection read in place: step t, gate k is a [B, H] block.
  const xs = xg._strided();
  const xView = (t: number, k: number): View => ({
    storage: xs.storage,
    shape: [B, H],
    strides: [xs.strides[1]!, xs.strides[2]!],
    offset: xs.offset + t * xs.strides[0]! + k * H * xs.strides[2]!,
  });
  const bhnView: View | null = bhn
    ? { storage: bhn.storage, shape: [B, H], strides: [0, 1], offset: 0 }
    : null;

  const steps: Step[] = new Array(T);
  let h = h0;
  let c = c0;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const gh = mm(h, whh, false, true); // [B, G·H]
    const ghs = gh.storage;
    const pre = (k: number): Tensor => {
      const p = alloc([B, H], dtype, backend);
      backend.binary('add', xView(t, k), block(ghs, B, H, GH, k * H), p.storage, [B, H]);
      return p;
    };
    const hNew = alloc([B, H], dtype, backend);
    let saved: Record<string, Tensor>;
    if (lstm) {
      const [i, f, g, o] = [pre(0), pre(1), pre(2), pre(3)];
      const cNew = alloc([B, H], dtype, backend);
      runFused(LSTM_FWD, [{ buffers: { i, f, g, o, cp: c!, c: cNew, h: hNew }, scalars: {} }]);
      saved = { i, f, g, o, cp: c!, c: cNew, hp: h };
      c = cNew;
    } else if (gru) {
      const [r, z] = [pre(0), pre(1)];
      const xn = alloc([B, H], dtype, backend);
      backend.copy(xView(t, 2), xn.storage);
      const hn = alloc([B, H], dtype, backend);
      if (bhnView) backend.binary('add', block(ghs, B, H, GH, 2 * H), bhnView, hn.storage, [B, H]);
      else backend.copy(block(ghs, B, H, GH, 2 * H), hn.storage);
      const n = alloc([B, H], dtype, backend);
      runFused(GRU_FWD, [{ buffers: { r, z, xn, hn, hp: h, n, h: hNew }, scalars: {} }]);
      xn.dispose();
      saved = { r, z, n, hn, hp: h };
    } else {
      const p = pre(0);
      backend.unary(mode === 'RNN_TANH' ? 'tanh' : 'relu', p.storage, hNew.storage);
      p.dispose();
      saved = { h: hNew, hp: h };
    }
    gh.dispose();
    backend.copyToView(hNew.storage, block(rStorage, B, H, H, t * B * H));
    steps[t] = { s: saved };
    if (!grad) {
      // Nothing will read this step again: keep only the running state (h, and c).
      for (const v of Object.values(saved)) {
        if (v !== hNew && v !== c && v !== h0 && v !== c0) v.dispose();
      }
    }
    h = hNew;
  }
  if (lstm) backend.copyToView(c!.storage, block(rStorage, B, H, H, T * B * H));
  if (!grad) {
    if (h !== h0) h.dispose();
    if (lstm && c !== c0) c!.dispose();
    return R;
  }

  const savedTensors = new Set<Tensor>([whh, ...(bhn ? [bhn] : [])]);
  for (const st of steps) for (const v of Object.values(st.s)) savedTensors.add(v);
  return recordOp(
    R,
    lstm ? 'LstmBackward0' : gru ? 'GruBackward0' : 'RnnBackward0',
    inputs,
    (g, needs) => {
      const gs = g.storage;
      let dhNext: Tensor | null = null;
      let dc: Tensor | null = null;
      if (lstm) {
        dc = alloc([B, H], dtype, backend);
        backend.copy(block(gs, B, H, H, T * B * H), dc.storage);
      }
      // dG: the gradient of the input projection, [T·B, G·H] in time order; for the GRU,
      // dGh (the gradient of h·W_hhᵀ + b_hh) differs from it in the n block.
      const dG = alloc([T * B, GH], dtype, backend);
      const dGh = gru ? alloc([T * B, GH], dtype, backend) : dG;
      const put = (src: Tensor, dst: Tensor, t: number, k: number) =>
        backend.copyToView(src.storage, block(dst.storage, B, H, GH, t * B * GH + k * H));
      for (let s = T - 1; s >= 0; s--) {
        const t = reverse ? T - 1 - s : s;
        const st = steps[t]!.s;
        const dh = alloc([B, H], dtype, backend);
        const dY = block(gs, B, H, H, t * B * H);
        if (dhNext) backend.binary('add', dY, whole(dhNext, B, H), dh.storage, [B, H]);
        else backend.copy(dY, dh.storage);
        const stepG = alloc([B, GH], dtype, backend);
        const fill = (k: number, src: Tensor) =>
          backend.copyToView(src.storage, block(stepG.storage, B, H, GH, k * H));
        if (lstm) {
          const [di, df, dg, dO] = [0, 1, 2, 3].map(() => alloc([B, H], dtype, backend)) as Tensor[];
          runFused(LSTM_BWD_H, [{ buffers: { dh, dc: dc!, o: st.o!, c: st.c!, do: dO! }, scalars: {} }]);
          runFused(LSTM_BWD_C, [
            {
              buffers: { dc: dc!, i: st.i!, f: st.f!, g: st.g!, cp: st.cp!, di: di!, df: df!, dg: dg! },
              scalars: {},
            },
          ]);
          [di, df, dg, dO].forEach((x, k) => {
            fill(k, x!);
          });
          dhNext = mm(stepG, whh, false, false);
        } else if (gru) {
          const [dz, dxn, dhp, dr, dhn] = [0, 1, 2, 3, 4].map(() =>
            alloc([B, H], dtype, backend),
          ) as Tensor[];
          runFused(GRU_BWD_H, [
            { buffers: { dh, z: st.z!, n: st.n!, hp: st.hp!, dz: dz!, dxn: dxn!, dhp: dhp! }, scalars: {} },
          ]);
          runFused(GRU_BWD_R, [
            { buffers: { dxn: dxn!, r: st.r!, hn: st.hn!, dr: dr!, dhn: dhn! }, scalars: {} },
          ]);
          fill(0, dr!);
          fill(1, dz!);
          fill(2, dhn!);
          put(dr!, dG, t, 0);
          put(dz!, dG, t, 1);
          put(dxn!, dG, t, 2);
          const viaW = mm(stepG, whh, false, false);
          dhNext = alloc([B, H], dtype, backend);
          backend.binary('add', whole(viaW, B, H), whole(dhp!, B, H), dhNext.storage, [B, H]);
        } else {
          runFused(mode === 'RNN_TANH' ? RNN_TANH_BWD : RNN_RELU_BWD, [
            { buffers: { dh, h: st.h!, dpre: stepG }, scalars: {} },
          ]);
          dhNext = mm(stepG, whh, false, false);
        }
        backend.copyToView(stepG.storage, block(dGh.storage, B, GH, GH, t * B * GH));
      }
      const needW = needs[inputs.indexOf(whh)];
      let dW: Tensor | null = null;
      if (needW) {
        // dW_hh = Σ_t dG_tᵀ · h_{t−1}: one matmul over the whole sequence.
        const hPrev = alloc([T * B, H], dtype, backend);
        for (let t = 0; t < T; t++) {
          backend.copyToView(steps[t]!.s.hp!.storage, block(hPrev.storage, B, H, H, t * B * H));
        }
        dW = mm(dGh, hPrev, true, false);
      }
      let dbhn: Tensor | null = null;
      if (bhn && needs[inputs.length - 1]) {
        const sums = alloc([GH], dtype, backend);
        backend.reduce('sum', dGh.storage, 1, T * B, GH, sums.storage);
        dbhn = alloc([H], dtype, backend);
        backend.copy({ storage: sums.storage, shape: [H], strides: [1], offset: 2 * H }, dbhn.storage);
      }
      const grads: (Tensor | null)[] = [needs[0] ? dG._view([T, B, GH]) : null, needs[1] ? dhNext : null];
      if (c0) grads.push(needs[2] ? dc : null);
      grads.push(dW);
      if (bhn) grads.push(dbhn);
      return grads;
    },
    [...savedTensors],
  );
}
