import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** apps/examples/output: where the pictures go (git-ignored). */
export const OUT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'output');

/** apps/examples/data: the data sets shipped with the examples. */
export const DATA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data');

/** Writes a file under `out/` and prints where it went (relative to the working directory). */
export function writeOutput(name: string, contents: string): string {
  mkdirSync(OUT_DIR, { recursive: true });
  const path = join(OUT_DIR, name);
  writeFileSync(path, contents);
  // Relative to where the user typed the command (pnpm runs scripts in the package dir).
  const base = process.env.INIT_CWD ?? process.cwd();
  console.log(`  wrote ${relative(base, path) || path}`);
  return path;
}
