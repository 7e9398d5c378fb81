import { describe, expect, test } from 'vitest';
import {
  encodeIdx,
  gunzip,
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  IdxFormatError,
  parseIdx,
} from '../src/index.js';
import { gunzipStream, gunzipSync, isGzip } from '../src/io/gzip.js';
import { gzip, idxBytes } from './helpers.js';

describe('parseIdx', () => {
  test('reads uint8 images and labels: sizes big-endian, values row-major, no copy', () => {
    const pixels = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 11) % 256);
    const file = idxBytes(0x08, [2, 3, 4], pixels);
    const a = parseIdx(file, { name: 'imgs', magic: IDX_IMAGES_MAGIC });
    expect(a.dtype).toBe('uint8');
    expect(a.shape).toEqual([2, 3, 4]);
    expect(Array.from(a.data)).toEqual(Array.from(pixels));
    expect(a.data.buffer).toBe(file.buffer);
    const l = parseIdx(idxBytes(0x08, [3], Uint8Array.of(7, 0, 9)), { magic: IDX_LABELS_MAGIC });
    expect(l.shape).toEqual([3]);
    expect(Array.from(l.data)).toEqual([7, 0, 9]);
  });

  test('sizes above 255 and 65535 are read big-endian', () => {
    const n = 70000;
    const a = parseIdx(idxBytes(0x08, [n], new Uint8Array(n)));
    expect(a.shape).toEqual([70000]);
    const b = parseIdx(idxBytes(0x08, [1, 300, 2], new Uint8Array(600)));
    expect(b.shape).toEqual([1, 300, 2]);
  });

  test('reads the other IDX types big-endian (int8, int16, int32, float32, float64)', () => {
    const be = (n: number, values: number[], set: 'setInt16' | 'setInt32' | 'setFloat32' | 'setFloat64') => {
      const b = new Uint8Array(n);
      const view = new DataView(b.buffer);
      const size = n / values.length;
      values.forEach((v, i) => {
        view[set](i * size, v);
      });
      return b;
    };
    expect(Array.from(parseIdx(idxBytes(0x09, [2], Uint8Array.of(0xff, 5))).data)).toEqual([-1, 5]);
    const i16 = parseIdx(idxBytes(0x0b, [2], be(4, [-300, 1234], 'setInt16')));
    expect([i16.dtype, ...i16.data]).toEqual(['int16', -300, 1234]);
    const i32 = parseIdx(idxBytes(0x0c, [1, 2], be(8, [-70000, 1 << 30], 'setInt32')));
    expect([i32.dtype, ...i32.data]).toEqual(['int32', -70000, 1 << 30]);
    const f32 = parseIdx(idxBytes(0x0d, [1], be(4, [1.5], 'setFloat32')));
    expect([f32.dtype, ...f32.data]).toEqual(['float32', 1.5]);
    const f64 = parseIdx(idxBytes(0x0e, [2], be(16, [Math.PI, -0.1], 'setFloat64')));
    expect([f64.dtype, ...f64.data]).toEqual(['float64', Math.PI, -0.1]);
  });

  test('a subarray input (byteOffset != 0) is read at its offset', () => {
    const file = idxBytes(0x08, [2], Uint8Array.of(4, 5));
    const padded = new Uint8Array(file.length + 3);
    padded.set(file, 3);
    expect(Array.from(parseIdx(padded.subarray(3)).data)).toEqual([4, 5]);
  });

  test('too short for a magic number', () => {
    expect(() => parseIdx(Uint8Array.of(0, 0), { name: 'x-idx' })).toThrow(
      'x-idx: expected at least 4 bytes (the IDX magic number), the file has 2 bytes',
    );
  });

  test('not an IDX file (bad magic) names the file, the magic found and the one expected', () => {
    const bad = Uint8Array.of(0x50, 0x4b, 3, 4, 0, 0, 0, 0);
    expect(() => parseIdx(bad, { name: 'train-images-idx3-ubyte', magic: IDX_IMAGES_MAGIC })).toThrow(
      /train-images-idx3-ubyte: not an IDX file: magic number 0x504b0304, expected 0x00000803 \(uint8, 3 dimensions\)/,
    );
    expect(() => parseIdx(Uint8Array.of(0, 0, 0x07, 1, 0, 0, 0, 0))).toThrow(IdxFormatError);
  });

  test('a labels file where images are expected (swapped files) is named as such', () => {
    const labels = idxBytes(0x08, [2], Uint8Array.of(1, 2));
    expect(() => parseIdx(labels, { name: 'train-images-idx3-ubyte', magic: IDX_IMAGES_MAGIC })).toThrow(
      'train-images-idx3-ubyte: IDX magic number 0x00000801 (uint8, 1 dimension), expected 0x00000803 (uint8, 3 dimensions)',
    );
  });

  test('truncated header', () => {
    const file = idxBytes(0x08, [2, 3, 4], new Uint8Array(24)).subarray(0, 10);
    expect(() => parseIdx(file, { name: 'f' })).toThrow(
      'f: truncated header: expected 16 bytes for the magic number and 3 sizes, the file has 10 bytes',
    );
  });

  test('truncated data names the file, the expected and the actual size', () => {
    const file = idxBytes(0x08, [60000, 28, 28], new Uint8Array(1000));
    expect(() => parseIdx(file, { name: 'train-images-idx3-ubyte' })).toThrow(
      'train-images-idx3-ubyte: expected 47040016 bytes (16 header bytes and 60000 × 28 × 28 uint8 values), the file has 1016 bytes (truncated)',
    );
  });

  test('trailing bytes are refused (torchvision reads strictly)', () => {
    const file = idxBytes(0x08, [3], Uint8Array.of(1, 2, 3, 4, 5));
    expect(() => parseIdx(file, { name: 'l' })).toThrow(
      'l: expected 11 bytes (8 header bytes and 3 uint8 values), the file has 13 bytes (2 trailing bytes)',
    );
  });

  test('absurd sizes are refused before anything is allocated', () => {
    const file = idxBytes(0x0e, [0xffffffff, 0xffffffff, 0xffffffff], new Uint8Array(0));
    const expected = 16n + 8n * 0xffffffffn ** 3n;
    expect(() => parseIdx(file, { name: 'huge' })).toThrow(
      `huge: expected ${expected} bytes (16 header bytes and 4294967295 × 4294967295 × 4294967295 float64 values), the file has 16 bytes (truncated)`,
    );
  });

  test('wrong input type', () => {
    expect(() => parseIdx([0, 0, 8, 1] as unknown as Uint8Array)).toThrow(TypeError);
  });

  test('encodeIdx writes what parseIdx reads', () => {
    const data = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
    const file = encodeIdx([3, 2, 2], data);
    expect(Array.from(file.subarray(0, 4))).toEqual([0, 0, 8, 3]);
    const back = parseIdx(file, { magic: IDX_IMAGES_MAGIC });
    expect(back.shape).toEqual([3, 2, 2]);
    expect(Array.from(back.data)).toEqual(Array.from(data));
    expect(() => encodeIdx([2, 2], data)).toThrow('encodeIdx: shape [2, 2] holds 4 values, the data has 12');
  });
});

describe('gzip', () => {
  const file = idxBytes(0x08, [2, 2, 2], Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
  const gz = gzip(file);

  test('detected by magic bytes; plain bytes pass through', async () => {
    expect(isGzip(gz)).toBe(true);
    expect(isGzip(file)).toBe(false);
    expect(gunzipSync(file, 'f')).toBe(file);
    expect(await gunzip(file, 'f')).toBe(file);
  });

  test("Node's zlib and DecompressionStream give the same bytes", async () => {
    expect(Array.from(gunzipSync(gz, 'f.gz'))).toEqual(Array.from(file));
    expect(Array.from(await gunzip(gz, 'f.gz'))).toEqual(Array.from(file));
    expect(Array.from(await gunzipStream(gz, 'f.gz'))).toEqual(Array.from(file));
  });

  test('a truncated gzip stream is an IdxFormatError naming the file', async () => {
    const cut = gz.subarray(0, gz.length - 6);
    expect(() => gunzipSync(cut, 'train-images-idx3-ubyte.gz')).toThrow(
      new RegExp(
        `train-images-idx3-ubyte\\.gz: not a valid gzip stream \\(.*\\); the compressed file has ${cut.length} bytes`,
      ),
    );
    await expect(gunzipStream(cut, 'a.gz')).rejects.toThrow(/a\.gz: not a valid gzip stream/);
    const garbage = Uint8Array.of(0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    expect(() => gunzipSync(garbage, 'g.gz')).toThrow(IdxFormatError);
    await expect(gunzipStream(garbage, 'g.gz')).rejects.toThrow(IdxFormatError);
  });
});
