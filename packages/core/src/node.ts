/**
 * `@stepwise/core/node`: checkpoints on disk, for Node.
 *
 *   import { saveFile, loadFile } from '@stepwise/core/node';
 *   await saveFile('ckpt.bin', { model: model.stateDict(), optim: opt.stateDict() });
 *   const ckpt = await loadFile('ckpt.bin');
 *
 * @module @stepwise/core/node
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Backend } from './backend.js';
import { load } from './serialize/load.js';
import { encodeAsync, ptFolder, resolveSaveOptions, type SaveOptions } from './serialize/save.js';

/**
 * A temporary file older than this is stale whoever wrote it: no save takes a day between
 * creating its temporary and renaming it, and the bound covers what the owner check cannot
 * prove (a writer on another host sharing the directory, a pid reused since).
 */
export const STALE_TEMP_AGE_MS = 24 * 60 * 60 * 1000;

/** Eight hex digits naming this host, so a pid in a temporary's name is only trusted here. */
const hostTag = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The temporary `saveFile` writes for `target`: `.<name>.<host>.<pid>.<12 hex>.tmp`, beside it. */
function tempName(target: string): string {
  return `.${basename(target)}.${hostTag}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, owned by someone else. Only ESRCH proves it gone.
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes the temporaries that earlier `saveFile(target)` calls left when their process
 * died between creating and renaming them (a kill, a crash, power loss): only files whose
 * name is exactly the pattern `saveFile` uses for this same target, and of those only the
 * provably stale ones — written on this host by a process that no longer exists, or
 * older than `STALE_TEMP_AGE_MS` whoever wrote them. Temporaries of this process (a save
 * in progress) and of live processes are kept. Best effort: a file that vanishes or cannot
 * be removed is left to the next save. Names without the host tag (written before it
 * existed) are removed only by age. Returns the names removed.
 */
export async function removeStaleTemporaries(target: string, now = Date.now()): Promise<string[]> {
  const dir = dirname(target);
  const pattern = new RegExp(
    `^\\.${escapeRegExp(basename(target))}\\.(?:([0-9a-f]{8})\\.)?(\\d+)\\.[0-9a-f]{12}\\.tmp$`,
  );
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m) continue;
    const pid = Number(m[2]);
    if (m[1] === hostTag && pid === process.pid) continue;
    const path = join(dir, name);
    try {
      const st = await stat(path);
      if (!st.isFile()) continue;
      const old = now - st.mtimeMs > STALE_TEMP_AGE_MS;
      const dead = m[1] === hostTag && !pidAlive(pid);
      if (!old && !dead) continue;
      await unlink(path);
      removed.push(name);
    } catch {
      // Gone already (another save cleaned it) or not ours to remove: leave it.
    }
  }
  return removed;
}

/**
 * `torch.save(obj, path, opts)`, atomically: the bytes go to a temporary file in the same
 * directory (`.<name>.<host>.<pid>.<random>.tmp`), which is flushed to disk and then
 * renamed over `path`, so a crash leaves either the old file or the new one, never a torn
 * checkpoint. A process killed mid-write cannot remove its temporary, so each save first
 * removes the stale temporaries of the same target (`removeStaleTemporaries`: the owning
 * process is gone, or the file is over a day old); a killed save thus costs disk space
 * only until the next save of that checkpoint. Works on every backend. `opts` as
 * `torch.save`'s: `{ format: 'pt' }` writes PyTorch's .pt, `{ format: 'safetensors',
 * metadata }` a safetensors file; without a format the extension picks (`.pt`/`.pth`,
 * `.safetensors`, anything else stepwise's format).
 */
export async function saveFile(path: string, obj: unknown, opts?: SaveOptions): Promise<void> {
  const bytes = await encodeAsync(obj, resolveSaveOptions(opts, path), ptFolder(path));
  // Before writing, so space a killed save left is free again for this one.
  await removeStaleTemporaries(path);
  const tmp = join(dirname(path), tempName(path));
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

/**
 * `torch.load(path)`: reads a checkpoint file onto `backend`: stepwise's format (`saveFile`,
 * `torch.save`), PyTorch's .pt or safetensors, told apart by the first bytes.
 */
export async function loadFile(path: string, opts: { backend?: string | Backend } = {}): Promise<any> {
  const bytes = await readFile(path);
  return load(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), opts);
}
