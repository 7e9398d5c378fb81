/**
 * Memory as the suites see it: `torch.memory()` of one backend, and the per-test check
 * that `runConformance` runs around every test (tfjs's harness opens an engine scope
 * before each test and ends it after; stepwise's `tidy` is synchronous, so the check keeps
 * the scope itself).
 *
 * The rule, and why it cannot flake: every tensor a test makes is disposed when the test
 * ends (unless the test hands it to `keep`), and then `torch.memory()` — tensors and
 * bytes, all backends — must be no higher than before the test, plus what was kept. The
 * only other things that move those numbers between two measurements are the
 * `FinalizationRegistry` (garbage collection, at times no test controls) and the loop
 * boundaries' releases (core README, "Memory"); both only lower them, so the bound holds
 * whenever they run. The check holds every tensor the test makes until the test ends, so
 * none of them is collected half-way. What fails it: bytes or a tensor count that no
 * tensor of the test owns — a storage an op allocated and lost, a count that was never
 * given back.
 */

import * as torch from '@stepwise/core';

/** Live tensors and bytes. */
export interface Live {
  /** Number of live tensors. */
  readonly tensors: number;
  /** Bytes of live storage. */
  readonly bytes: number;
}

/** `torch.memory()` of the backend named `backend` (zeros before its first tensor), or of all backends. */
export function liveOf(backend?: string | { readonly name: string }): Live {
  const m = torch.memory();
  if (backend === undefined) return { tensors: m.tensors, bytes: m.bytes };
  const own = m.backends[typeof backend === 'string' ? backend : backend.name];
  return { tensors: own?.tensors ?? 0, bytes: own?.bytes ?? 0 };
}

/**
 * The verdict of the check: undefined when `after` is within `before` plus `kept`,
 * otherwise the message the test fails with.
 */
export function memoryVerdict(
  before: Live,
  after: Live,
  kept: Live = { tensors: 0, bytes: 0 },
): string | undefined {
  const tensors = after.tensors - before.tensors - kept.tensors;
  const bytes = after.bytes - before.bytes - kept.bytes;
  if (tensors <= 0 && bytes <= 0) return undefined;
  return (
    `memory check: after disposing every tensor the test made, ${tensors} more tensors and ${bytes} more ` +
    `bytes are live than before it (${after.tensors} tensors, ${after.bytes} bytes; before ` +
    `${before.tensors}, ${before.bytes}; kept ${kept.tensors}, ${kept.bytes}): something allocated ` +
    'memory that no tensor of the test owns'
  );
}

/**
 * Core tells an observer about every tensor it makes (`torch._observeTensorBirths`, called
 * from the Tensor constructor); that is where the check learns which tensors a test made
 * (core has no scope that outlives a synchronous call). `TestMemoryCheck.begin` verifies
 * the hook still sees new tensors, so a change in core fails loudly instead of leaving a
 * check that cannot fail.
 */
let recorder: ((t: torch.Tensor) => void) | undefined;
let hooked = false;
/** Whether the hook was seen to record a new tensor (checked once per process). */
let verified = false;

function hook(): void {
  if (hooked) return;
  hooked = true;
  torch._observeTensorBirths((t) => recorder?.(t));
}

/** Disposed tensors are dropped from the list this often, so a 10⁴-step loop does not hold them all. */
const PRUNE_EVERY = 4096;

/** Checks that a test releases what it allocates: compares `torch.memory()` before and after, per backend. */
export class TestMemoryCheck {
  #made: torch.Tensor[] = [];
  #kept = new Set<torch.Tensor>();
  #before: Live = { tensors: 0, bytes: 0 };
  #sincePrune = 0;

  /** Starts a test: measures, then records every tensor made until `end`. */
  begin(): void {
    hook();
    this.#made = [];
    this.#kept.clear();
    this.#sincePrune = 0;
    recorder = (t) => {
      this.#made.push(t);
      if (++this.#sincePrune >= PRUNE_EVERY) {
        this.#sincePrune = 0;
        this.#made = this.#made.filter((x) => !x.isDisposed);
      }
    };
    if (!verified) {
      const probe = torch.zeros([1]);
      verified = this.#made.includes(probe);
      probe.dispose();
      this.#made = [];
      if (!verified) {
        recorder = undefined;
        throw new Error(
          'memory check: a new tensor was not seen (core no longer calls the observer of torch._observeTensorBirths); update src/testMemory.ts',
        );
      }
    }
    this.#before = liveOf();
  }

  /** A tensor the test leaves alive on purpose (its bytes count toward the allowance). */
  keep(t: torch.Tensor): void {
    this.#kept.add(t);
  }

  /**
   * Ends a test: disposes every tensor it made and did not keep, then returns the
   * verdict (undefined when the memory is back within bounds).
   */
  end(): string | undefined {
    recorder = undefined;
    for (const t of this.#made) if (!t.isDisposed && !this.#kept.has(t)) t.dispose();
    this.#made = [];
    let tensors = 0;
    let bytes = 0;
    for (const t of this.#kept) {
      if (t.isDisposed) continue;
      tensors++;
      bytes += t.numel() * torch.bytesPerElement(t.dtype);
    }
    this.#kept.clear();
    return memoryVerdict(this.#before, liveOf(), { tensors, bytes });
  }
}
