/**
 * `@stepwise/core/node`: checkpoints on disk, for Node.
 *
 *   import { saveFile, loadFile } from '@stepwise/core/node';
 *   await saveFile('ckpt.bin', { model: model.stateDict(), optim: opt.stateDict() });
 *   const ckpt = await loadFile('ckpt.bin');
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Backend } from './backend.js';
import { load } from './serialize/load.js';
import { saveAsync } from './serialize/save.js';

/**
 * `torch.save(obj, path)`, atomically: the bytes go to a temporary file in the same
 * directory, which is flushed to disk and then renamed over `path`, so a crash leaves
 * either the old file or the new one, never a torn checkpoint. Works on every backend.
 */
export async function saveFile(path: string, obj: unknown): Promise<void> {
  const bytes = await saveAsync(obj);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}

/** `torch.load(path)`: reads a file written by `saveFile` (or `torch.save`) onto `backend`. */
export async function loadFile(path: string, opts: { backend?: string | Backend } = {}): Promise<any> {
  const bytes = await readFile(path);
  return load(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), opts);
}
