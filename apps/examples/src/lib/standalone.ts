import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { backendFromArgs, useBackend } from './backend.js';

/** True when the module at `moduleUrl` is the program node was started with. */
export function isMain(moduleUrl: string): boolean {
  const argv1 = process.argv[1];
  if (!argv1) return false;
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/**
 * Lets every example run alone (`node dist/seed000.js [--backend wasm-simd]`): when this
 * module is the entry point, pick the backend from the command line and run the example.
 */
export function runIfMain(moduleUrl: string, example: () => Promise<unknown>): void {
  if (!isMain(moduleUrl)) return;
  (async () => {
    const name = await useBackend(backendFromArgs());
    console.log(`backend: ${name}`);
    await example();
  })().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}

/** Reads a one-element tensor's value on any backend (webgpu reads are async). */
export async function scalar(t: { data(): Promise<ArrayLike<number>> }): Promise<number> {
  return Number((await t.data())[0]);
}

/** Formats a number for the tables the examples print. */
export function fmt(v: number, digits = 6): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e6 || a < 1e-4) ? v.toExponential(digits - 1) : v.toFixed(digits);
}
