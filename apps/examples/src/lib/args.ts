/**
 * The examples' command-line flags besides `--backend` (see backend.ts):
 *
 *   --full       the real-data examples (seed 004 and the Quickstart on Fashion-MNIST) train
 *                on all 60,000 images for their full number of epochs (5 each)
 *   --epochs N   that many epochs instead (with or without --full)
 */

/** Whether `--full` was given (or STEPWISE_EXAMPLES_FULL=1). */
export function fullFromArgs(argv: readonly string[] = process.argv.slice(2)): boolean {
  return argv.includes('--full') || process.env.STEPWISE_EXAMPLES_FULL === '1';
}

/** `--epochs N` (or `--epochs=N`): a positive integer, or undefined when not given. */
export function epochsFromArgs(argv: readonly string[] = process.argv.slice(2)): number | undefined {
  let v: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--epochs') v = argv[i + 1];
    else if (a.startsWith('--epochs=')) v = a.slice('--epochs='.length);
  }
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--epochs needs a positive integer, got '${v}'`);
  return n;
}
