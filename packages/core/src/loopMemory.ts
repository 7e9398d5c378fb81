/**
 * Memory without `tidy`: tensors made inside a loop iteration are released at the loop's
 * own boundaries once user code stopped using them (core README, "Memory").
 *
 * A JS program cannot learn, inside a synchronous loop, which tensors it still references
 * (finalizers run only after the job ends), so stepwise reads the loop itself. Every
 * training and evaluation loop crosses a boundary once per iteration: `optimizer.step()`,
 * `backward()` (keyed by the graph's first leaf, so each model is its own loop), or the
 * next batch of a `DataLoader` iterator. Each boundary is a *source*. When a source fires,
 * the tensors born after its first firing that nobody used during its last two iterations
 * are released: the values of the current and of the previous iteration stay readable
 * wherever the boundary sits in the loop body (the grace period), values carried from one
 * iteration to the next (a running sum, an RNN state) stay alive because each iteration
 * uses them, and tensors made before a loop started are never its to release.
 *
 * Never released here: `keep`-ed tensors (parameters, buffers, optimizer state, an
 * optimizer's params), a `.grad` while it is one, tensors saved for a backward that is still
 * reachable from a live tensor. Tensors that outlive 64 boundaries untouched by any source
 * that could release them become ordinary (freed by `dispose`, `tidy` or the finalizer).
 */

/** What the sweep needs of a tensor (tensor.ts implements it; no import cycle). */
export interface Releasable {
  /** Boundary count when the tensor was made. */
  _born: number;
  /** Boundary count when the tensor was last used (read, or an input of an op). */
  _touched: number;
  /** > 0 while something holds it (a `.grad` slot); `keep` makes it permanent. */
  _pins: number;
  /** Unconsumed graph nodes that saved this tensor for their backward. */
  _savedBy: number;
  readonly isDisposed: boolean;
  /** The graph node that made it, if unconsumed nodes may still need its saved tensors. */
  readonly gradFn: SavedHolder | null;
  /** Frees the storage; a later use throws an error quoting `reason`. */
  _release(reason: string): void;
}

/** What the sweep needs of a graph node: its inputs' nodes and the tensors it saved. */
export interface SavedHolder {
  readonly next: readonly ({ readonly node: SavedHolder } | { readonly leaf: unknown } | null)[];
  backward: unknown;
  readonly saved: readonly { readonly tensor: Releasable }[];
}

/** Boundaries crossed so far; a tensor's `_born`/`_touched` are values of it. */
export let boundaryCount = 1;

/** How many boundaries an untouched tensor stays a candidate before it becomes ordinary. */
const PROMOTE_AFTER = 64;
/** A loop with no boundary at all must not make this list grow without end. */
const MAX_TRACKED = 1 << 16;

interface Source {
  /** `boundaryCount` when the source first fired: tensors born before are not its own. */
  readonly first: number;
  /** `boundaryCount` when it last fired. */
  prev: number;
  /** `boundaryCount` when it fired before that (0 before its second firing). */
  prev2: number;
  /** Times fired, for the error message. */
  count: number;
}

const sources = new WeakMap<object, Source>();
/** Tensors born since some source fired that may still be released; pruned at each sweep. */
let tracked: Releasable[] = [];
let anySource = false;
let suspended = 0;
let sweepMark = 0;

/** Called by every Tensor constructor. */
export function noteBirth(t: Releasable): void {
  t._born = t._touched = boundaryCount;
  if (!anySource) return;
  // Past the bound, everything tracked becomes ordinary (dispose, tidy or the finalizer).
  if (tracked.length >= MAX_TRACKED) tracked = [];
  tracked.push(t);
}

/**
 * Runs `fn` with boundaries ignored: an optimizer step (LBFGS calls its closure, and so
 * backward, many times in one step) is one boundary, fired when it returns.
 */
export function withoutBoundaries<T>(fn: () => T): T {
  suspended++;
  let r: T;
  try {
    r = fn();
  } catch (e) {
    suspended--;
    throw e;
  }
  if (r instanceof Promise) return r.finally(() => suspended--) as T;
  suspended--;
  return r;
}

/**
 * A loop boundary of `source` (an optimizer, a DataLoader iterator, a model's first leaf):
 * releases what the loop made, then left unused for a whole iteration. `what` names the
 * boundary in the error a released tensor raises, e.g. 'Adam.step()'.
 */
export function loopBoundary(source: object, what: string): void {
  if (suspended > 0) return;
  const s = sources.get(source);
  if (!s) {
    sources.set(source, { first: boundaryCount, prev: boundaryCount, prev2: 0, count: 1 });
    anySource = true;
  } else {
    s.count++;
    sweep(s, `${what} (call ${s.count})`);
    s.prev2 = s.prev;
    s.prev = boundaryCount;
  }
  boundaryCount++;
}

function sweep(s: Source, where: string): void {
  const isCandidate = (t: Releasable) => t._pins === 0 && t._born > s.first && t._touched <= s.prev2;
  let protectedMark = -1;
  if (tracked.some((t) => t._savedBy > 0 && !t.isDisposed && isCandidate(t))) {
    protectedMark = ++sweepMark;
    markSavedReachable(
      tracked.filter((t) => !t.isDisposed && !isCandidate(t)),
      protectedMark,
    );
  }
  const reason =
    `released at ${where}: it was made inside a loop iteration and not used during the ` +
    'two iterations that followed';
  const keepFrom = boundaryCount - PROMOTE_AFTER;
  let w = 0;
  for (const t of tracked) {
    if (t.isDisposed) continue;
    if (isCandidate(t) && savedMarks.get(t) !== protectedMark) {
      t._release(reason);
      continue;
    }
    if (t._born < keepFrom) continue;
    tracked[w++] = t;
  }
  tracked.length = w;
}

const savedMarks = new WeakMap<Releasable, number>();

/** Marks the tensors that unconsumed nodes reachable from `roots` saved for backward. */
function markSavedReachable(roots: readonly Releasable[], mark: number): void {
  const seen = new Set<SavedHolder>();
  const stack: SavedHolder[] = [];
  for (const r of roots) if (r.gradFn?.backward) stack.push(r.gradFn);
  while (stack.length) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    for (const { tensor } of node.saved) savedMarks.set(tensor, mark);
    for (const e of node.next) if (e && 'node' in e && e.node.backward) stack.push(e.node);
  }
}
