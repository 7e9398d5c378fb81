/**
 * `torch.einsum(equation, ...operands)`, lowered to ops that already have backward:
 * `diagonal` for a label repeated within an operand, `sum` for labels no one needs any
 * more, and, operand by operand from the left, one batched `matmul` (labels shared and
 * still needed are the batch, shared and no longer needed are contracted) or a broadcast
 * `mul` when nothing is contracted; a final `permute` puts the output's labels in order.
 * Supports the implicit output (labels seen once, alphabetical, upper case first), `...`
 * (broadcast dims, right-aligned) and size-1 broadcasting of a label, as PyTorch.
 */
import { ShapeError, shapeStr, ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { matmul } from './linalg.js';
import { alias, diagonal } from './shape.js';

/** A label: a letter's char code, or a negative id for the k-th dim under `...`. */
type Label = number;

interface Term {
  labels: Label[];
  ellipsis: boolean;
}

function parseTerm(term: string, offset: number): { letters: Label[]; ellipsisAt: number } {
  const letters: Label[] = [];
  let ellipsisAt = -1;
  for (let i = 0; i < term.length; i++) {
    const ch = term[i]!;
    if (ch === '.') {
      if (term.slice(i, i + 3) !== '...' || ellipsisAt >= 0) {
        throw new ValueError(
          `einsum(): invalid ellipsis at index ${offset + i} in the equation string (one '...' per operand at most)`,
        );
      }
      ellipsisAt = letters.length;
      i += 2;
      continue;
    }
    if (!/[a-zA-Z]/.test(ch)) {
      throw new ValueError(
        `einsum(): invalid subscript given at index ${offset + i} in the equation string, subscripts must be in [a-zA-Z]`,
      );
    }
    letters.push(ch.charCodeAt(0));
  }
  return { letters, ellipsisAt };
}

const labelName = (l: Label): string => (l >= 0 ? String.fromCharCode(l) : '...');

function parse(equation: string, operands: readonly Tensor[]): { terms: Term[]; output: Label[] } {
  const eq = equation.replace(/\s+/g, '');
  const arrow = eq.indexOf('->');
  if (arrow >= 0 && eq.indexOf('->', arrow + 1) >= 0)
    throw new ValueError("einsum(): the equation has more than one '->'");
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const parts = lhs.split(',');
  if (parts.length > operands.length)
    throw new ValueError(
      `einsum(): fewer operands were provided than specified in the equation '${equation}'`,
    );
  if (parts.length < operands.length)
    throw new ValueError(
      `einsum(): more operands were provided than specified in the equation '${equation}'`,
    );
  let ellipsisDims = 0;
  let at = 0;
  const parsed = parts.map((p, k) => {
    const r = parseTerm(p, at);
    at += p.length + 1;
    const rank = operands[k]!.dim();
    if (r.ellipsisAt < 0 && r.letters.length !== rank) {
      throw new ShapeError(
        `einsum(): the number of subscripts in the equation (${r.letters.length}) does not match the number of dimensions (${rank}) for operand ${k} and no ellipsis was given`,
      );
    }
    if (r.ellipsisAt >= 0 && r.letters.length > rank) {
      throw new ShapeError(
        `einsum(): the number of subscripts in the equation (${r.letters.length}) is more than the number of dimensions (${rank}) for operand ${k}`,
      );
    }
    if (r.ellipsisAt >= 0) ellipsisDims = Math.max(ellipsisDims, rank - r.letters.length);
    return r;
  });
  // The k-th of E dims under '...' is label -(E - k); an operand with fewer takes the last ones.
  const ell = (count: number): Label[] => Array.from({ length: count }, (_, i) => -(count - i));
  const terms: Term[] = parsed.map((r, k) => {
    if (r.ellipsisAt < 0) return { labels: r.letters, ellipsis: false };
    const count = operands[k]!.dim() - r.letters.length;
    return {
      labels: [...r.letters.slice(0, r.ellipsisAt), ...ell(count), ...r.letters.slice(r.ellipsisAt)],
      ellipsis: true,
    };
  });
  const seen = new Map<Label, number>();
  for (const t of terms) for (const l of t.labels) seen.set(l, (seen.get(l) ?? 0) + 1);
  let output: Label[];
  if (arrow >= 0) {
    const r = parseTerm(eq.slice(arrow + 2), arrow + 2);
    output =
      r.ellipsisAt < 0
        ? r.letters
        : [...r.letters.slice(0, r.ellipsisAt), ...ell(ellipsisDims), ...r.letters.slice(r.ellipsisAt)];
    const dup = output.find((l, i) => output.indexOf(l) !== i);
    if (dup !== undefined)
      throw new ValueError(
        `einsum(): output subscript ${labelName(dup)} appears more than once in the output`,
      );
    for (const l of output) {
      if (l >= 0 && !seen.has(l)) {
        throw new ValueError(
          `einsum(): output subscript ${labelName(l)} does not appear in the equation for any input operand`,
        );
      }
    }
  } else {
    const once = [...seen.entries()].filter(([l, c]) => l >= 0 && c === 1).map(([l]) => l);
    output = [...ell(ellipsisDims), ...once.sort((a, b) => a - b)];
  }
  return { terms, output };
}

/** Takes the diagonal of every label repeated within one operand. */
function diagonals(t: Tensor, labels: Label[]): { t: Tensor; labels: Label[] } {
  let cur = t;
  let ls = [...labels];
  for (;;) {
    const q = ls.findIndex((l, i) => ls.indexOf(l) !== i);
    if (q < 0) return { t: cur, labels: ls };
    const p = ls.indexOf(ls[q]!);
    if (cur.shape[p] !== cur.shape[q]) {
      throw new ShapeError(
        `einsum(): subscript ${labelName(ls[p]!)} is repeated for operand but the sizes don't match, ${cur.shape[p]} != ${cur.shape[q]}`,
      );
    }
    const l = ls[p]!;
    cur = diagonal(cur, 0, p, q);
    ls = [...ls.filter((_, i) => i !== p && i !== q), l];
  }
}

/** Sums the labels of `t` for which `drop` holds. */
function sumOut(t: Tensor, labels: Label[], drop: (l: Label) => boolean): { t: Tensor; labels: Label[] } {
  const dims = labels.map((l, i) => (drop(l) ? i : -1)).filter((i) => i >= 0);
  if (dims.length === 0) return { t, labels };
  return { t: t.sum(dims), labels: labels.filter((l) => !drop(l)) };
}

/** `t` permuted to `order` (a list of its labels) and expanded to `sizes` of those labels. */
function arrange(t: Tensor, labels: Label[], order: Label[], sizes: Map<Label, number>): Tensor {
  const perm = order.map((l) => labels.indexOf(l));
  const p = perm.every((d, i) => d === i) ? t : t.permute(perm);
  const target = order.map((l) => sizes.get(l)!);
  return target.every((s, i) => s === p.shape[i]) ? p : p.expand(target);
}

const prodOf = (sizes: Map<Label, number>, ls: Label[]): number => ls.reduce((a, l) => a * sizes.get(l)!, 1);

/**
 * `torch.einsum(equation, *operands)`: `einsum('ij,jk->ik', a, b)`, `einsum('bij,bjk->bik', a, b)`,
 * `einsum('ii->i', m)`, `einsum('bhqd,bhkd->bhqk', q, k)`; operands may also come as one array.
 */
export function einsum(equation: string, ...operands: readonly (Tensor | readonly Tensor[])[]): Tensor {
  if (typeof equation !== 'string')
    throw new TypeError('einsum(): the first argument must be the equation string');
  const ops: Tensor[] =
    operands.length === 1 && Array.isArray(operands[0])
      ? [...(operands[0] as Tensor[])]
      : (operands as Tensor[]);
  if (ops.length === 0) throw new ValueError('einsum(): must provide at least one operand');
  for (const t of ops)
    if (!(t instanceof Tensor)) throw new TypeError('einsum(): every operand must be a Tensor');
  const { terms, output } = parse(equation, ops);

  // Sizes per label, with size-1 broadcasting.
  const sizes = new Map<Label, number>();
  terms.forEach((term, k) => {
    term.labels.forEach((l, i) => {
      const s = ops[k]!.shape[i]!;
      const prev = sizes.get(l);
      if (prev === undefined || prev === 1) sizes.set(l, s);
      else if (s !== prev && s !== 1) {
        throw new ShapeError(
          `einsum(): subscript ${labelName(l)} has size ${s} for operand ${k} which does not broadcast with previously seen size ${prev} (operand shapes ${ops.map((t) => shapeStr(t.shape)).join(', ')})`,
        );
      }
    });
  });

  const outSet = new Set(output);
  const items = terms.map((term, k) => diagonals(ops[k]!, term.labels));
  const neededAfter = (k: number): Set<Label> => {
    const s = new Set(outSet);
    for (let j = k + 1; j < items.length; j++) for (const l of items[j]!.labels) s.add(l);
    return s;
  };

  let cur = sumOut(items[0]!.t, items[0]!.labels, (l) => !neededAfter(0).has(l));
  for (let k = 1; k < items.length; k++) {
    const later = neededAfter(k);
    const nextLabels = new Set(items[k]!.labels);
    const curLabels = new Set(cur.labels);
    cur = sumOut(cur.t, cur.labels, (l) => !nextLabels.has(l) && !later.has(l));
    const next = sumOut(items[k]!.t, items[k]!.labels, (l) => !curLabels.has(l) && !later.has(l));
    const shared = cur.labels.filter((l) => next.labels.includes(l));
    const batch = shared.filter((l) => later.has(l));
    const contracted = shared.filter((l) => !later.has(l));
    const aOnly = cur.labels.filter((l) => !next.labels.includes(l));
    const bOnly = next.labels.filter((l) => !cur.labels.includes(l));
    let r: Tensor;
    if (contracted.length === 0) {
      // Nothing summed: a broadcast product.
      const a = arrange(cur.t, cur.labels, [...batch, ...aOnly], sizes).reshape([
        ...batch.map((l) => sizes.get(l)!),
        ...aOnly.map((l) => sizes.get(l)!),
        ...bOnly.map(() => 1),
      ]);
      const b = arrange(next.t, next.labels, [...batch, ...bOnly], sizes).reshape([
        ...batch.map((l) => sizes.get(l)!),
        ...aOnly.map(() => 1),
        ...bOnly.map((l) => sizes.get(l)!),
      ]);
      r = a.mul(b);
    } else {
      const B = prodOf(sizes, batch);
      const a = arrange(cur.t, cur.labels, [...batch, ...aOnly, ...contracted], sizes).reshape([
        B,
        prodOf(sizes, aOnly),
        prodOf(sizes, contracted),
      ]);
      const b = arrange(next.t, next.labels, [...batch, ...contracted, ...bOnly], sizes).reshape([
        B,
        prodOf(sizes, contracted),
        prodOf(sizes, bOnly),
      ]);
      r = matmul(a, b).reshape([...batch, ...aOnly, ...bOnly].map((l) => sizes.get(l)!));
    }
    cur = { t: r, labels: [...batch, ...aOnly, ...bOnly] };
  }
  cur = sumOut(cur.t, cur.labels, (l) => !outSet.has(l));
  const perm = output.map((l) => cur.labels.indexOf(l));
  const res = perm.every((d, i) => d === i) ? cur.t : cur.t.permute(perm);
  // A label of size 1 in every operand but broadcast elsewhere cannot occur in the output
  // without being in cur; a size-1 label expands to the broadcast size only where shared.
  const target = output.map((l) => sizes.get(l)!);
  const out = target.every((s, i) => s === res.shape[i]) ? res : res.expand(target);
  // 'ij->ij' and the like: a view, as PyTorch returns, never the operand itself.
  return out === ops[0] ? alias(out) : out;
}
