/**
 * The worker-job protocol: the control block's layout and, for each parallel job, its
 * arguments by name. The calling thread writes a job's arguments with `writeJob`; every
 * thread, the caller included, reads them back by the same names (`executeJob.ts`) and runs
 * its share. One table, so the two sides cannot disagree on a slot.
 *
 * Arguments are int32 words: a byte offset at or past 2 GiB reads back negative. Passed to
 * a wasm export that is harmless (wasm takes the low 32 bits, and sums of offsets wrap the
 * same way); wherever JS itself uses one (a typed-array view, an index) it goes through `>>>`.
 */

/** Words of the control block (int32, inside the backend's argument block). */
export const CTL_WORDS = 64;
/** [0] epoch: bumped once per job (and for exit); workers wait on it. */
export const CTL_EPOCH = 0;
/** [1] shares still running; the caller waits on it. */
export const CTL_LEFT = 1;
/** [2] the job's kind: its code in `JOB_CODE`, or `JOB_EXIT`. */
export const CTL_KIND = 2;
/** [3..] the job's arguments, in its `JOBS` order. */
export const CTL_ARGS = 3;
/** [30] a word no one writes: the pool probes whether this thread may block on it. */
export const CTL_PROBE = 30;
/** [31] set by a worker whose share threw. */
export const CTL_ERROR = 31;
/** [SHARE_SLOTS + i]: the last epoch whose share i was claimed (by worker i, or by the caller). */
export const SHARE_SLOTS = 32;

/**
 * Each job's argument names, in word order. Pointers are byte offsets; `perThread` /
 * `perThreadStride` locate a block of the argument area that each share may write its own
 * arguments into (share w at perThread + w * perThreadStride).
 */
export const JOBS = {
  /** C = A @ B (a batch of them), split along M in 4-row units or along N in 8-column units. */
  gemm: [
    'dt',
    'm',
    'n',
    'k',
    'a',
    'rsA',
    'csA',
    'b',
    'rsB',
    'csB',
    'c',
    'ldc',
    // each share's GEMM scratch: scratch + w * scratchStride
    'scratch',
    'scratchStride',
    // 1: split along M, 0: along N
    'splitM',
    'batch',
    'aBatchBytes',
    'bBatchBytes',
    'cBatchBytes',
    'esz',
  ],
  /** A compiled fused program over `n` elements, split in 16-element units. */
  fused: [
    'id',
    'numBuffers',
    'n',
    'esz',
    'args',
    'scalarsOffset',
    'numScalars',
    'perThread',
    'perThreadStride',
  ],
  /** Compile a fused program from `bytes` bytes at `ptr` under `id` (workers that lack it). */
  compile: ['id', 'ptr', 'bytes'],
  /** out = op(x), contiguous, split in 16-element units. */
  unary: ['op', 'dt', 'odt', 'x', 'out', 'n', 'xEsz', 'outEsz'],
  /**
   * conv2d forward (which 0), backward-input (1) or backward-weight (2), split by batch;
   * each share gets its own geometry copy and scratch. Backward-weight shares past the
   * first write partial sums (at partials + (w - 1) * partialBytes) that the caller adds up.
   */
  conv: [
    'which',
    'dt',
    'esz',
    'a',
    'b',
    'out',
    'geometry',
    'scratch',
    'scratchStride',
    'perThread',
    'perThreadStride',
    'batch',
    // elements of one image of the input (forward's x, backward's gradX)
    'inImage',
    // elements of one image of the output (forward's out, backward's gradOut)
    'outImage',
    'partials',
    'partialBytes',
    'outBytes',
    // the bool dtype's code: `fill` on bytes zeroes a weight gradient whose share is empty
    'u8',
  ],
  /**
   * Max pooling forward (which 0: x -> out, argmax am) or backward (which 1: gradOut in `x`,
   * argmax am -> gradX in `out`), split by channel; each share gets its own geometry copy.
   */
  pool: [
    'which',
    'dt',
    'esz',
    'x',
    'out',
    'am',
    'geometry',
    'perThread',
    'perThreadStride',
    'channels',
    // elements of one input plane and of one output plane
    'inPlane',
    'outPlane',
  ],
  /**
   * binary (which 0: out = op(p0, p1)) or where (which 1: out = p0 ? p1 : p2) over views
   * collapsed to `ndim` dimensions (shape and strides at `meta`, as assembly/walk.ts reads
   * them), split along dimension 0 in `unit`s; each share copies the shape and strides into
   * its own block with its part of dimension 0. dt0/dt1: the operands' dtype codes (binary:
   * a and b; where: the condition's, and the values' is odt); `outRow`: output elements per
   * index of dimension 0.
   */
  rows: [
    'which',
    'op',
    'dt0',
    'dt1',
    'odt',
    'p0',
    'p1',
    'p2',
    'out',
    'ndim',
    'meta',
    'perThread',
    'perThreadStride',
    'esz0',
    'esz1',
    'esz2',
    'outEsz',
    'outRow',
    'unit',
  ],
  /**
   * A reduction of [outer, len, inner] into [outer, inner], split along outer; each share
   * gets its own scratch block.
   */
  reduce: [
    'op',
    'dt',
    'odt',
    'x',
    'outer',
    'len',
    'inner',
    'out',
    'scratch',
    'scratchStride',
    'xEsz',
    'outEsz',
  ],
  /**
   * Zero-fills `bytes` bytes at `ptr` (a large reused heap block) in 64-byte units, with the
   * `fill` kernel on bytes (`u8`: the bool dtype's code).
   */
  zero: ['ptr', 'bytes', 'u8'],
  /** out = op(a, b) over one collapsed dimension (strides 0 or 1), 16-element units. */
  binary: [
    'op',
    'adt',
    'bdt',
    'odt',
    'a',
    'b',
    'out',
    'n',
    'aStride',
    'bStride',
    'aEsz',
    'bEsz',
    'outEsz',
    'perThread',
    'perThreadStride',
  ],
} as const;

export type JobKind = keyof typeof JOBS;
/** A job's arguments as a record of its names. */
export type JobArgs<K extends JobKind> = { -readonly [F in (typeof JOBS)[K][number]]: number };
/** Any job, as `executeJob` reads it back: its kind and its arguments. */
export type Job = { [K in JobKind]: { kind: K; args: JobArgs<K> } }[JobKind];

/** The kind word of the job that tells workers to return. */
export const JOB_EXIT = 0;
/** The kind word of each job: 1 + its index in `JOBS`. */
export const JOB_CODE = Object.fromEntries(Object.keys(JOBS).map((k, i) => [k, i + 1])) as Record<
  JobKind,
  number
>;

/**
 * The protocol as plain data: where the kind and the arguments live, and `[kind, argument
 * names]` by code - 1. Workers get code as source text and cannot import, so they get this
 * (as JSON) and `readJob`'s source.
 */
export const PROTOCOL = {
  kindWord: CTL_KIND,
  argsWord: CTL_ARGS,
  jobs: Object.entries(JOBS) as [JobKind, readonly string[]][],
};
export type Protocol = typeof PROTOCOL;

for (const [kind, names] of PROTOCOL.jobs) {
  if (CTL_ARGS + names.length > CTL_PROBE) throw new Error(`wasm-simd: job '${kind}' has too many arguments`);
}

/** Writes a job's kind and arguments into the control block. */
export function writeJob<K extends JobKind>(ctl: Int32Array, kind: K, args: JobArgs<K>): void {
  const names = JOBS[kind] as readonly string[];
  const values = args as Record<string, number>;
  for (let i = 0; i < names.length; i++) ctl[CTL_ARGS + i] = values[names[i]];
  ctl[CTL_KIND] = JOB_CODE[kind];
}

/**
 * Reads the posted job back by name. Runs in workers as source text, so it uses nothing but
 * its parameters.
 */
export function readJob(ctl: Int32Array, p: Protocol): Job {
  const [kind, names] = p.jobs[ctl[p.kindWord] - 1];
  const args: Record<string, number> = {};
  for (let i = 0; i < names.length; i++) args[names[i]] = ctl[p.argsWord + i];
  return { kind, args } as Job;
}
