/** Test helpers: IDX files written byte by byte (independently of the package's encodeIdx). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

/** An IDX file: magic 0x0000<type><ndim>, big-endian sizes, then `payload` as given. */
export function idxBytes(type: number, shape: number[], payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + payload.length);
  out[2] = type;
  out[3] = shape.length;
  shape.forEach((s, d) => {
    out[4 + 4 * d] = (s >>> 24) & 0xff;
    out[5 + 4 * d] = (s >>> 16) & 0xff;
    out[6 + 4 * d] = (s >>> 8) & 0xff;
    out[7 + 4 * d] = s & 0xff;
  });
  out.set(payload, 4 + 4 * shape.length);
  return out;
}

/** A small MNIST-like split: `n` images of `rows × cols`, pixel (i, y, x) = (i * 31 + y * 7 + x) % 256. */
export function tinySplit(n: number, rows: number, cols: number, numClasses = 10) {
  const pixels = new Uint8Array(n * rows * cols);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < rows; y++)
      for (let x = 0; x < cols; x++) pixels[(i * rows + y) * cols + x] = (i * 31 + y * 7 + x) % 256;
  const labels = Uint8Array.from({ length: n }, (_, i) => (i * 3) % numClasses);
  return {
    pixels,
    labels,
    images: idxBytes(0x08, [n, rows, cols], pixels),
    labelsFile: idxBytes(0x08, [n], labels),
  };
}

export function gzip(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(zlib.gzipSync(bytes));
}

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepwise-vision-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `files` (name → bytes) into `dir`, creating it. */
export function writeFiles(dir: string, files: Record<string, Uint8Array>): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
}
