/**
 * Shared pieces of the property-based suites (`fuzz`, `schedulerFuzz`), on fast-check:
 * deterministic runs (a fixed seed and a bounded number of runs, so CI never flakes and
 * stays fast), shrinking (a failure reports the smallest input found, with the seed and
 * path that replay it), and the arbitraries of hostile values and tree mutations that both
 * the checkpoint loader and the state-dict loaders are fed.
 *
 * STEPWISE_FUZZ_SEED picks another seed; STEPWISE_FUZZ_CASES sets the runs of every
 * property (e.g. 20000 for a long hunt). To replay a reported failure, pass the `seed`
 * and `path` it prints as STEPWISE_FUZZ_SEED and STEPWISE_FUZZ_PATH.
 */

import fc from 'fast-check';

export const FUZZ_SEED = Number(process.env.STEPWISE_FUZZ_SEED ?? 20261121);
const CASES = process.env.STEPWISE_FUZZ_CASES ? Number(process.env.STEPWISE_FUZZ_CASES) : undefined;
const PATH = process.env.STEPWISE_FUZZ_PATH;

/** The number of runs a property gets: its default, unless STEPWISE_FUZZ_CASES says otherwise. */
export function runs(dflt: number): number {
  return CASES ?? dflt;
}

/**
 * `fc.assert` with the suite's deterministic settings. `salt` gives each property its own
 * stream from the one seed, so adding a property does not change the others' inputs.
 */
export async function checkProperty<T>(
  property: fc.IAsyncPropertyWithHooks<T> | fc.IPropertyWithHooks<T>,
  numRuns: number,
  salt = 0,
): Promise<void> {
  await fc.assert(property as fc.IAsyncProperty<T>, {
    seed: (FUZZ_SEED + salt) | 0,
    numRuns: runs(numRuns),
    ...(PATH ? { path: PATH } : {}),
    endOnFailure: false,
  });
}

/** Messages that betray an internal error (a crash) rather than a clear refusal. */
export const internalErrors =
  /Cannot read prop|Cannot set prop|is not a function|is not iterable|of undefined|of null|Maximum call stack|Invalid typed array|Array buffer allocation|Invalid array length/;

/** Throws when `e` is not an Error with a clear (non-internal) message. */
export function expectClearError(e: unknown, what: string): asserts e is Error {
  if (!(e instanceof Error)) throw new Error(`${what}: threw a non-Error ${String(e)}`);
  if (!e.message || internalErrors.test(e.message))
    throw new Error(`${what}: internal error ${e.name}: ${e.message}`);
}

/**
 * Values a hostile or corrupted file could hold where a number, a tensor or an object was
 * expected: extremes, NaN, wrong kinds, the format's tags used wrongly, prototype keys,
 * and nested mixes of those. `extra` adds more (the state-dict fuzz adds tensor shapes).
 */
export function hostileValue(extra: fc.Arbitrary<unknown>[] = []): fc.Arbitrary<unknown> {
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant(null),
      fc.integer({ min: -(2 ** 32), max: 2 ** 32 }),
      fc.constantFrom(0.5, -1, -0, 1e308, 2 ** 31, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY),
      fc.string({ maxLength: 4 }),
      fc.boolean(),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.record({ $tensor: fc.integer({ min: -1, max: 5 }) }),
      fc.record({
        $object: fc.dictionary(
          fc.constantFrom('a', 'b', '__proto__', 'constructor', 'prototype'),
          tie('value'),
          {
            maxKeys: 2,
          },
        ),
      }),
      fc.record({ $number: fc.constantFrom('nan', 'inf', '-inf', '-0', 'bogus') }),
      fc.constant({ $undefined: true }),
      fc.dictionary(fc.constantFrom('__proto__', 'polluted', 'x'), fc.constant(1), {
        minKeys: 1,
        maxKeys: 2,
      }),
      ...extra,
    ),
  }));
  return value;
}

/**
 * One edit somewhere in a JSON-like tree: which node (an index into the tree's objects and
 * arrays, taken modulo their count), which key (an existing one, or a new one among
 * prototype keys, an index past the end and a stranger), and whether to delete it or set
 * it to `value`. Numbers shrink to 0, so a failure shrinks to an edit of the root's first key.
 */
export interface TreeEdit {
  node: number;
  key: number;
  fresh: boolean;
  freshKey: string;
  del: boolean;
  value: unknown;
}

export function treeEdit(value: fc.Arbitrary<unknown>): fc.Arbitrary<TreeEdit> {
  return fc.record({
    node: fc.nat(),
    key: fc.nat(),
    fresh: fc.boolean(),
    freshKey: fc.constantFrom('__proto__', 'constructor', 'prototype', 'zz', '0', '$tensor'),
    del: fc.boolean(),
    value,
  });
}

/** A deep copy of `root` (JSON data: objects, arrays, primitives) with `edits` applied in order. */
export function applyEdits(root: unknown, edits: readonly TreeEdit[]): any {
  const copy = structuredClone(root);
  for (const e of edits) {
    const nodes: any[] = [];
    const walk = (v: any) => {
      if (v && typeof v === 'object') {
        nodes.push(v);
        for (const k of Object.keys(v)) walk(v[k]);
      }
    };
    walk(copy);
    if (!nodes.length) break;
    const node = nodes[e.node % nodes.length];
    const keys = Object.keys(node);
    const key =
      keys.length && !e.fresh
        ? keys[e.key % keys.length]!
        : Array.isArray(node)
          ? String(node.length)
          : e.freshKey;
    if (e.del && !Array.isArray(node)) delete node[key];
    // defineProperty, so '__proto__' becomes an own key (as JSON.parse makes it), never a prototype.
    // A clone, since later edits may walk into it and fast-check replays its values when shrinking.
    else
      Object.defineProperty(node, key, {
        value: structuredClone(e.value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return copy;
}

/** Nothing reached Object.prototype. */
export function expectNoPollution(): void {
  if (({} as any).polluted !== undefined || (Object.prototype as any).polluted !== undefined)
    throw new Error('Object.prototype was polluted');
}
