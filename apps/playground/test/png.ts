/**
 * A minimal PNG decoder for the browser test's screenshots (8-bit grey, grey+alpha, RGB or
 * RGBA, not interlaced: what Chromium writes), with node:zlib and no dependency, and the
 * pixel measures the test asserts on.
 */
import { inflateSync } from 'node:zlib';

export interface Image {
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel, row by row. */
  rgba: Uint8Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

export function decodePng(buf: Uint8Array): Image {
  if (!SIGNATURE.every((b, i) => buf[i] === b)) throw new Error('not a PNG');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Uint8Array[] = [];
  for (let at = 8; at < buf.length; ) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(...buf.subarray(at + 4, at + 8));
    const data = buf.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      const depth = data[8]!;
      colorType = data[9]!;
      if (depth !== 8 || data[12] !== 0 || ![0, 2, 4, 6].includes(colorType))
        throw new Error(`unsupported PNG: depth ${depth}, colour type ${colorType}, interlace ${data[12]}`);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    at += 12 + len;
  }
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType as 0 | 2 | 4 | 6];
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? row[i - channels]! : 0;
      const b = prev[i]!;
      const c = i >= channels ? prev[i - channels]! : 0;
      let v = src[i]!;
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter}`);
      row[i] = v & 255;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let k = 0; k < width * height; k++) {
    const s = pixels.subarray(k * channels, (k + 1) * channels);
    const grey = channels <= 2;
    rgba[4 * k] = s[0]!;
    rgba[4 * k + 1] = grey ? s[0]! : s[1]!;
    rgba[4 * k + 2] = grey ? s[0]! : s[2]!;
    rgba[4 * k + 3] = channels === 2 ? s[1]! : channels === 4 ? s[3]! : 255;
  }
  return { width, height, rgba };
}

/** The fraction of pixels whose R, G or B differ by more than `tolerance` (the images must be the same size). */
export function diffFraction(a: Image, b: Image, tolerance = 16): number {
  if (a.width !== b.width || a.height !== b.height)
    throw new Error(`sizes differ: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  let n = 0;
  for (let k = 0; k < a.width * a.height; k++) {
    for (let c = 0; c < 3; c++) {
      if (Math.abs(a.rgba[4 * k + c]! - b.rgba[4 * k + c]!) > tolerance) {
        n++;
        break;
      }
    }
  }
  return n / (a.width * a.height);
}

/** Pixels within `tolerance` (per channel) of the CSS colour `#rrggbb`. */
export function countColor(img: Image, hex: string, tolerance = 40): number {
  const want = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let k = 0; k < img.width * img.height; k++) {
    if (want.every((v, c) => Math.abs(img.rgba[4 * k + c]! - v) <= tolerance)) n++;
  }
  return n;
}

/** Pixels that are neither near-white nor grey: some colour was drawn. */
export function countColored(img: Image): number {
  let n = 0;
  for (let k = 0; k < img.width * img.height; k++) {
    const r = img.rgba[4 * k]!;
    const g = img.rgba[4 * k + 1]!;
    const b = img.rgba[4 * k + 2]!;
    if (Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
  }
  return n;
}
