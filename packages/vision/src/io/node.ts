/**
 * Node's built-in modules, reached without a static `import 'node:fs'` so that the package
 * still loads in a browser bundle (where only the URL/bytes paths work).
 * `process.getBuiltinModule` exists from Node 20.16 and 22.3.
 */
import type * as Fs from 'node:fs';
import type * as Path from 'node:path';
import type * as Zlib from 'node:zlib';

/** The Node modules the folder reader needs, or `null` outside Node. */
export interface NodeModules {
  readonly fs: typeof Fs;
  readonly path: typeof Path;
  readonly zlib: typeof Zlib;
}

let cached: NodeModules | null | undefined;

/** Node's `fs`, `path` and `zlib`, or `null` where there is no Node (a browser, a worker). */
export function nodeModules(): NodeModules | null {
  if (cached !== undefined) return cached;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const get = proc?.getBuiltinModule;
  if (typeof get !== 'function') return (cached = null);
  cached = {
    fs: get.call(proc, 'node:fs') as typeof Fs,
    path: get.call(proc, 'node:path') as typeof Path,
    zlib: get.call(proc, 'node:zlib') as typeof Zlib,
  };
  return cached;
}

/** True when running under Node, whether or not it can reach its built-ins synchronously. */
export function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}
