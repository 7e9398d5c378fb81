/**
 * The zip container of PyTorch's checkpoint files (`torch.save` since 1.6): reading with
 * fflate's `unzipSync`, guarded so hostile input stays bounded, and a small writer that
 * lays entries out as PyTorch's `PyTorchStreamWriter` does (stored, not compressed, each
 * record's data starting at a multiple of 64 bytes, padded by an extra field `FB` of `Z`s).
 *
 * Like PyTorch's own reader, entries' CRC-32 are not verified on read (PyTorch 1.13 loads a
 * record whose bytes were changed); the writer computes them, as readers that do check
 * (Python's `zipfile`) expect.
 */
import { unzipSync } from 'fflate';
import { CheckpointError } from '../checkpointFormat.js';

function fail(msg: string): never {
  throw new CheckpointError(`torch.load: ${msg}`);
}

/** The smallest central directory header: 46 bytes plus the name. */
const CENTRAL_HEADER_BYTES = 46;
const EOCD_BYTES = 22;

/**
 * The entries of a zip file that `keep(name)` selects, by name. Every entry must be stored
 * (PyTorch never compresses), and the selected entries together may not be larger than the
 * input: a central directory that points many names at one range (which would make the
 * copies fflate returns grow far beyond the input) is refused, and so is a directory
 * claiming more entries than the input could hold (fflate would walk them all).
 */
export function readZip(buf: Uint8Array, keep: (name: string) => boolean): Map<string, Uint8Array> {
  if (buf.length < EOCD_BYTES) fail(`a zip file of ${buf.length} bytes is too short (truncated?)`);
  const maxEntries = Math.floor(buf.length / CENTRAL_HEADER_BYTES) + 1;
  const sizes = new Map<string, number>();
  let seen = 0;
  let total = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(buf, {
      filter: (f) => {
        if (++seen > maxEntries)
          fail(`the zip directory claims more entries than its ${buf.length} bytes can hold`);
        if (!keep(f.name)) return false;
        if (sizes.has(f.name)) fail(`the zip file has two entries named '${f.name}'`);
        if (f.compression !== 0) {
          fail(
            `zip entry '${f.name}' is compressed (method ${f.compression}); PyTorch writes stored entries: re-save it with torch.save`,
          );
        }
        total += f.size;
        if (!Number.isSafeInteger(f.size) || f.size < 0 || total > buf.length)
          fail(`zip entry '${f.name}' (${f.size} bytes) does not fit in the ${buf.length}-byte input`);
        sizes.set(f.name, f.size);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    fail(`not a readable zip file (${(e as Error).message}): truncated or damaged?`);
  }
  const out = new Map<string, Uint8Array>();
  for (const [name, size] of sizes) {
    const data = Object.hasOwn(files, name) ? files[name] : undefined;
    if (!(data instanceof Uint8Array) || data.length !== size)
      fail(`zip entry '${name}' is cut short (${data?.length ?? 0} of ${size} bytes): truncated?`);
    out.set(name, data);
  }
  return out;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (the zip/PNG polynomial 0xEDB88320). */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const t = crcTable;
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Where PyTorch starts each record's data: a multiple of this many bytes. */
export const RECORD_ALIGN = 64;
const LOCAL_HEADER_BYTES = 30;
/** The extra field PyTorch pads with: id 'FB' (0x4246), then `Z`s. */
const PAD_ID = 0x4246;
const ZIP_MAX = 0xffffffff;

/**
 * A zip of stored entries laid out as PyTorch's writer does: each entry's data starts at a
 * multiple of `RECORD_ALIGN`, names are UTF-8 (flag bit 11), times are zero so the same
 * content gives the same bytes. Up to 4 GiB and 65,535 entries (what one `Uint8Array`
 * holds anyway); beyond, a `CheckpointError`.
 */
export function writeZip(entries: readonly { name: string; data: Uint8Array }[]): Uint8Array {
  const enc = new TextEncoder();
  const names = entries.map((e) => enc.encode(e.name));
  const pads: number[] = [];
  let at = 0;
  entries.forEach((e, i) => {
    const headerEnd = at + LOCAL_HEADER_BYTES + names[i]!.length;
    const pad = (RECORD_ALIGN - ((headerEnd + 4) % RECORD_ALIGN)) % RECORD_ALIGN;
    pads.push(pad);
    at = headerEnd + 4 + pad + e.data.length;
  });
  const cdStart = at;
  const cdBytes = names.reduce((a, n) => a + CENTRAL_HEADER_BYTES + n.length, 0);
  const size = cdStart + cdBytes + EOCD_BYTES;
  if (entries.length > 0xffff || size > ZIP_MAX)
    throw new CheckpointError(
      `torch.save: a .pt file of ${entries.length} records and ${size} bytes exceeds what stepwise writes (65,535 records, 4 GiB)`,
    );
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  const offsets: number[] = [];
  const crcs: number[] = [];
  at = 0;
  entries.forEach((e, i) => {
    const name = names[i]!;
    const crc = crc32(e.data);
    crcs.push(crc);
    offsets.push(at);
    v.setUint32(at, 0x04034b50, true);
    v.setUint16(at + 4, 20, true); // version needed: 2.0
    v.setUint16(at + 6, 0x0800, true); // UTF-8 names
    v.setUint16(at + 8, 0, true); // stored
    v.setUint32(at + 10, 0, true); // time and date
    v.setUint32(at + 14, crc, true);
    v.setUint32(at + 18, e.data.length, true);
    v.setUint32(at + 22, e.data.length, true);
    v.setUint16(at + 26, name.length, true);
    v.setUint16(at + 28, 4 + pads[i]!, true);
    out.set(name, at + LOCAL_HEADER_BYTES);
    let p = at + LOCAL_HEADER_BYTES + name.length;
    v.setUint16(p, PAD_ID, true);
    v.setUint16(p + 2, pads[i]!, true);
    out.fill(0x5a, p + 4, p + 4 + pads[i]!);
    p += 4 + pads[i]!;
    out.set(e.data, p);
    at = p + e.data.length;
  });
  entries.forEach((e, i) => {
    const name = names[i]!;
    v.setUint32(at, 0x02014b50, true);
    v.setUint16(at + 4, 20, true); // made by
    v.setUint16(at + 6, 20, true); // needed
    v.setUint16(at + 8, 0x0800, true);
    v.setUint16(at + 10, 0, true);
    v.setUint32(at + 12, 0, true);
    v.setUint32(at + 16, crcs[i]!, true);
    v.setUint32(at + 20, e.data.length, true);
    v.setUint32(at + 24, e.data.length, true);
    v.setUint16(at + 28, name.length, true);
    // extra, comment, disk, internal and external attributes: zero
    v.setUint32(at + 42, offsets[i]!, true);
    out.set(name, at + CENTRAL_HEADER_BYTES);
    at += CENTRAL_HEADER_BYTES + name.length;
  });
  v.setUint32(at, 0x06054b50, true);
  v.setUint16(at + 8, entries.length, true);
  v.setUint16(at + 10, entries.length, true);
  v.setUint32(at + 12, cdBytes, true);
  v.setUint32(at + 16, cdStart, true);
  return out;
}
