/**
 * gzip: detected by its two magic bytes (not by the file name, so a server that already
 * undid `Content-Encoding: gzip`, or a `.gz` name on a plain file, both just work).
 * Node's zlib where there is Node; `DecompressionStream('gzip')` elsewhere.
 */
import { IdxFormatError } from '../errors.js';
import { nodeModules } from './node.js';

/** True when `bytes` start with gzip's magic bytes 0x1f 0x8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function gzipError(name: string, size: number, cause: unknown): IdxFormatError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new IdxFormatError(
    `${name}: not a valid gzip stream (${why}); the compressed file has ${size} bytes and may be truncated or corrupt`,
    { cause },
  );
}

/** Decompresses synchronously with Node's zlib (Node only); plain bytes pass through. */
export function gunzipSync(bytes: Uint8Array, name: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  const node = nodeModules();
  if (!node) throw new Error(`${name}: decompressing gzip synchronously needs Node's zlib`);
  let out: Uint8Array;
  try {
    out = node.zlib.gunzipSync(bytes);
  } catch (e) {
    throw gzipError(name, bytes.length, e);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Decompresses with Node's zlib or, outside Node, `DecompressionStream('gzip')`; plain bytes pass through. */
export async function gunzip(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  if (nodeModules()) return gunzipSync(bytes, name);
  return gunzipStream(bytes, name);
}

/** Decompresses with the web platform's `DecompressionStream('gzip')` (browsers, workers, Node 18+). */
export async function gunzipStream(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  if (typeof DecompressionStream !== 'function') {
    throw new Error(
      `${name} is gzip-compressed, and this environment has neither Node's zlib nor DecompressionStream; serve the uncompressed file instead`,
    );
  }
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
      .stream()
      .pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw gzipError(name, bytes.length, e);
  }
}
