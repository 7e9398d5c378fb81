import { readFileSync } from 'node:fs';

const cache = new Map<string, unknown>();

/**
 * Reads `fixtures/<name>.json`, written by `tooling/golden` with real PyTorch. The path is
 * relative to this file, which sits one level below the package root both as `src/` and
 * as `dist/`.
 */
export function loadFixture<T>(name: string): T {
  let v = cache.get(name);
  if (v === undefined) {
    v = JSON.parse(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), 'utf8'));
    cache.set(name, v);
  }
  return v as T;
}
