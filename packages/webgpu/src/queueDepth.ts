/**
 * How far the program has run ahead of the GPU.
 *
 * Kernels only record commands. JavaScript cannot block until the GPU catches up, and Dawn
 * retires finished work only when the event loop turns, so a loop that never awaits queues
 * work without bound (about 16 KB per step of a small MLP on lavapipe, the GPU seconds
 * behind). The backend cannot stop that without blocking, which JavaScript does not allow;
 * it counts the dispatches not yet seen finished and warns once, naming the fix, when they
 * pass `warnAt`. Any await of a read or `sync()` brings the count back to zero.
 */

/** Completion is observed once per this many submits (a loop that yields is seen catching up). */
const OBSERVE_EVERY = 32;

export class QueueDepth {
  /** Dispatches submitted over the runtime's life. */
  private submitted = 0;
  /** Dispatches known finished (everything submitted up to this count). */
  private finished = 0;
  private submits = 0;
  private warned = false;

  constructor(
    private readonly queue: GPUQueue,
    private readonly warnAt: number,
    private readonly warn: (message: string) => void = (m) => console.warn(m),
  ) {}

  /** Dispatches submitted but not yet seen finished. */
  get pending(): number {
    return this.submitted - this.finished;
  }

  /** The current position, to pass to `finishedUpTo` once the GPU is known to be past it. */
  get mark(): number {
    return this.submitted;
  }

  /** Records one submit of `dispatches` dispatches. */
  onSubmit(dispatches: number): void {
    this.submitted += dispatches;
    if (++this.submits % OBSERVE_EVERY === 0) {
      const mark = this.submitted;
      this.queue.onSubmittedWorkDone().then(
        () => this.finishedUpTo(mark),
        () => {},
      );
    }
    if (!this.warned && this.pending > this.warnAt) {
      this.warned = true;
      this.warn(
        `webgpu: ${this.pending} dispatches are queued that the program has not waited for. Kernels only ` +
          'enqueue GPU work, and a loop that never awaits grows this queue (and its memory) without bound; ' +
          'await a read (`await loss.data()`) or `await backend.sync()` every few hundred steps.',
      );
    }
  }

  finishedUpTo(mark: number): void {
    if (mark > this.finished) this.finished = mark;
  }
}
