/**
 * `torchvision.transforms.functional`: the stateless operations behind the transform
 * classes, each taking an `Image` (torchvision's PIL image) or a tensor of shape
 * `[..., C, H, W]` / `[..., H, W]` (torchvision's tensor image) where torchvision does.
 * Tensor paths are built from core's ops (cat, indexSelect, narrow, sub, div), so they run
 * on any backend and are differentiable.
 */
import * as torch from '@stepwise/core';
import { createImage, type Image, isImage } from '../image.js';

/** An image as transforms take it: an `Image` or a tensor image. */
export type ImageOrTensor = Image | torch.Tensor;

/** torchvision's padding modes. `'edge'` repeats the border pixel (torch's `'replicate'`). */
export type PaddingMode = 'constant' | 'edge' | 'reflect' | 'symmetric';

const PADDING_MODES: readonly PaddingMode[] = ['constant', 'edge', 'reflect', 'symmetric'];

function typeName(x: unknown): string {
  if (x === null) return 'null';
  if (x instanceof torch.Tensor) return 'Tensor';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}

function checkImageOrTensor(who: string, x: unknown): asserts x is ImageOrTensor {
  if (x instanceof torch.Tensor) {
    if (x.dim() < 2) {
      throw new TypeError(
        `${who}: a tensor image needs at least 2 dimensions (..., H, W), got shape [${x.shape.join(', ')}]`,
      );
    }
    return;
  }
  if (!isImage(x)) throw new TypeError(`${who}: img should be an Image or a Tensor. Got ${typeName(x)}`);
}

/**
 * `F.get_dimensions(img)`: `[channels, height, width]` of an image or a tensor image
 * (a 2-D tensor counts as 1 channel).
 */
export function getDimensions(img: ImageOrTensor): [number, number, number] {
  checkImageOrTensor('getDimensions', img);
  if (img instanceof torch.Tensor) {
    const s = img.shape;
    const n = s.length;
    return [n === 2 ? 1 : s[n - 3]!, s[n - 2]!, s[n - 1]!];
  }
  return [img.channels, img.height, img.width];
}

/**
 * `F.to_tensor(pic)`: an 8-bit image (height × width × channels) becomes a float32 tensor of
 * shape `[C, H, W]` with values in [0, 1] (each byte divided by 255, rounded to float32 as
 * PyTorch's `.float().div(255)` does). Tensors are refused, as torchvision refuses them.
 */
export function toTensor(pic: Image, opts: { backend?: torch.TensorOptions['backend'] } = {}): torch.Tensor {
  if (!isImage(pic)) throw new TypeError(`toTensor: pic should be an Image. Got ${typeName(pic)}`);
  const { width: w, height: h, channels: c, data } = pic;
  const hw = h * w;
  const out = new Float32Array(c * hw);
  if (c === 1) {
    for (let i = 0; i < hw; i++) out[i] = data[i]! / 255;
  } else {
    for (let p = 0; p < hw; p++) for (let k = 0; k < c; k++) out[k * hw + p] = data[p * c + k]! / 255;
  }
  return torch.tensor(out, { dtype: 'float32', backend: opts.backend }).reshape([c, h, w]);
}

function toList(who: string, name: string, v: number | readonly number[]): number[] {
  const list = typeof v === 'number' ? [v] : Array.from(v);
  if (list.length === 0 || list.some((x) => typeof x !== 'number' || Number.isNaN(x))) {
    throw new TypeError(
      `${who}: ${name} must be a number or a non-empty sequence of numbers, got ${String(v)}`,
    );
  }
  return list;
}

/**
 * `F.normalize(tensor, mean, std, inplace=False)`: `(x - mean[c]) / std[c]` for each channel
 * `c` of a float tensor image `[..., C, H, W]`. Images are refused (normalize a tensor:
 * `ToTensor` first), as torchvision refuses PIL images.
 */
export function normalize(
  tensor: torch.Tensor,
  mean: number | readonly number[],
  std: number | readonly number[],
  inplace = false,
): torch.Tensor {
  if (!(tensor instanceof torch.Tensor)) {
    throw new TypeError(`normalize: img should be a Tensor image. Got ${typeName(tensor)}`);
  }
  if (!torch.isFloat(tensor.dtype)) {
    throw new TypeError(`normalize: Input tensor should be a float tensor. Got ${tensor.dtype}.`);
  }
  if (tensor.dim() < 3) {
    throw new torch.ShapeError(
      `normalize: Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = [${tensor.shape.join(', ')}]`,
    );
  }
  const m = toList('normalize', 'mean', mean);
  const s = toList('normalize', 'std', std);
  const round = tensor.dtype === 'float32' ? Math.fround : (x: number) => x;
  if (s.some((x) => round(x) === 0)) {
    throw new torch.ValueError(
      `std evaluated to zero after conversion to torch.${tensor.dtype}, leading to division by zero.`,
    );
  }
  const c = tensor.shape[tensor.dim() - 3]!;
  for (const [name, list] of [
    ['mean', m],
    ['std', s],
  ] as const) {
    if (list.length !== 1 && list.length !== c) {
      throw new torch.ShapeError(
        `normalize: ${name} has ${list.length} values but the tensor has ${c} channels (shape [${tensor.shape.join(', ')}])`,
      );
    }
  }
  const opts = { dtype: tensor.dtype, backend: tensor.backend };
  const asTensor = (list: number[], scalar: boolean) =>
    scalar ? torch.tensor(list[0]!, opts) : torch.tensor(list, opts).view(-1, 1, 1);
  const mt = asTensor(m, typeof mean === 'number');
  const st = asTensor(s, typeof std === 'number');
  return inplace ? tensor.sub_(mt).div_(st) : tensor.sub(mt).div(st);
}

/** Left, top, right, bottom. */
export type Padding4 = [left: number, top: number, right: number, bottom: number];

/**
 * torchvision's padding argument: an int pads every side; `[a]` too; `[lr, tb]` pads left
 * and right by `lr`, top and bottom by `tb`; `[left, top, right, bottom]`.
 */
export type PaddingArg =
  | number
  | readonly [number]
  | readonly [number, number]
  | readonly [number, number, number, number];

/** Parses a padding argument to `[left, top, right, bottom]`, with torchvision's errors. */
export function parsePadding(who: string, padding: PaddingArg | readonly number[]): Padding4 {
  let p: number[];
  if (typeof padding === 'number') p = [padding, padding, padding, padding];
  else if (Array.isArray(padding)) {
    if (padding.length === 1) p = [padding[0], padding[0], padding[0], padding[0]];
    else if (padding.length === 2) p = [padding[0], padding[1], padding[0], padding[1]];
    else if (padding.length === 4) p = [...padding];
    else {
      throw new torch.ValueError(
        `${who}: Padding must be an int or a 1, 2, or 4 element tuple, not a ${padding.length} element tuple`,
      );
    }
  } else throw new TypeError(`${who}: Got inappropriate padding arg: ${String(padding)}`);
  if (p.some((v) => !Number.isInteger(v) || v < 0)) {
    throw new torch.ValueError(`${who}: padding must be non-negative integers, got [${p.join(', ')}]`);
  }
  return p as Padding4;
}

function checkMode(who: string, mode: string): asserts mode is PaddingMode {
  if (!PADDING_MODES.includes(mode as PaddingMode)) {
    throw new torch.ValueError(
      `${who}: Padding mode should be either constant, edge, reflect or symmetric, got '${mode}'`,
    );
  }
}

/**
 * Where output position `i` (counted from the original's first element, so negative in the
 * leading padding) reads from, in an axis of length `n`; -1 for the constant fill. Reflect
 * and symmetric repeat periodically beyond one image width, as numpy's `np.pad` (which
 * torchvision uses for PIL images) does.
 */
function sourceIndex(i: number, n: number, mode: PaddingMode): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case 'constant':
      return -1;
    case 'edge':
      return i < 0 ? 0 : n - 1;
    case 'reflect': {
      if (n === 1) return 0;
      const period = 2 * (n - 1);
      const m = ((i % period) + period) % period;
      return m >= n ? period - m : m;
    }
    case 'symmetric': {
      const period = 2 * n;
      const m = ((i % period) + period) % period;
      return m >= n ? period - 1 - m : m;
    }
  }
}

function parseFill(who: string, fill: number | readonly number[], channels: number): number[] {
  const list = toList(who, 'fill', fill);
  if (list.length === 1) return new Array<number>(channels).fill(list[0]!);
  if (list.length !== channels) {
    throw new torch.ValueError(
      `${who}: The number of elements in 'fill' does not match the number of channels of the image (${list.length} != ${channels})`,
    );
  }
  return list;
}

function padImage(img: Image, [l, t, r, b]: Padding4, fill: number[], mode: PaddingMode): Image {
  const { width: w, height: h, channels: c, data } = img;
  if (mode !== 'constant' && (w === 0 || h === 0) && l + t + r + b > 0) {
    throw new torch.ValueError(`pad: cannot pad an empty ${h}×${w} image in '${mode}' mode`);
  }
  const ow = w + l + r;
  const oh = h + t + b;
  const out = createImage(ow, oh, c);
  const o = out.data;
  const fillBytes = fill.map((v) => Math.min(255, Math.max(0, Math.round(v))));
  const cols = Int32Array.from({ length: ow }, (_, x) => sourceIndex(x - l, w, mode));
  for (let y = 0; y < oh; y++) {
    const sy = sourceIndex(y - t, h, mode);
    for (let x = 0; x < ow; x++) {
      const sx = cols[x]!;
      const at = (y * ow + x) * c;
      if (sy < 0 || sx < 0) for (let k = 0; k < c; k++) o[at + k] = fillBytes[k]!;
      else {
        const from = (sy * w + sx) * c;
        for (let k = 0; k < c; k++) o[at + k] = data[from + k]!;
      }
    }
  }
  return out;
}

function indexTensor(values: ArrayLike<number>, backend: torch.Backend): torch.Tensor {
  return torch.tensor(Int32Array.from(values), { dtype: 'int32', backend });
}

function padTensor(x: torch.Tensor, [l, t, r, b]: Padding4, fill: number, mode: PaddingMode): torch.Tensor {
  const nd = x.dim();
  const h = x.shape[nd - 2]!;
  const w = x.shape[nd - 1]!;
  if (mode !== 'constant') {
    if ((w === 0 || h === 0) && l + t + r + b > 0) {
      throw new torch.ValueError(`pad: cannot pad an empty ${h}×${w} tensor image in '${mode}' mode`);
    }
    let out = x;
    if (l + r > 0) out = out.indexSelect(nd - 1, indexTensor(rangeMap(w, l, r, mode), x.backend));
    if (t + b > 0) out = out.indexSelect(nd - 2, indexTensor(rangeMap(h, t, b, mode), x.backend));
    return out;
  }
  const opts = { dtype: x.dtype, backend: x.backend };
  const lead = x.shape.slice(0, nd - 2);
  let out = x;
  if (l + r > 0) {
    const parts = [];
    if (l > 0) parts.push(torch.full([...lead, h, l], fill, opts));
    parts.push(out);
    if (r > 0) parts.push(torch.full([...lead, h, r], fill, opts));
    out = torch.cat(parts, nd - 1);
  }
  if (t + b > 0) {
    const ow = w + l + r;
    const parts = [];
    if (t > 0) parts.push(torch.full([...lead, t, ow], fill, opts));
    parts.push(out);
    if (b > 0) parts.push(torch.full([...lead, b, ow], fill, opts));
    out = torch.cat(parts, nd - 2);
  }
  return out;
}

function rangeMap(n: number, before: number, after: number, mode: PaddingMode): number[] {
  return Array.from({ length: n + before + after }, (_, i) => sourceIndex(i - before, n, mode));
}

/**
 * `F.pad(img, padding, fill=0, padding_mode='constant')`. `fill` is a number or, for an
 * `Image`, one value per channel (clamped to 0..255 and rounded); a tensor takes one number.
 * Modes as torchvision: `'constant'`, `'edge'`, `'reflect'` (mirror without repeating the
 * edge), `'symmetric'` (mirror repeating it). Padding wider than the image repeats the
 * mirroring as numpy's `np.pad` does (torch's own reflect pad refuses that for tensors).
 */
export function pad(
  img: Image,
  padding: PaddingArg,
  fill?: number | readonly number[],
  paddingMode?: PaddingMode,
): Image;
export function pad(
  img: torch.Tensor,
  padding: PaddingArg,
  fill?: number | readonly number[],
  paddingMode?: PaddingMode,
): torch.Tensor;
export function pad(
  img: ImageOrTensor,
  padding: PaddingArg,
  fill?: number | readonly number[],
  paddingMode?: PaddingMode,
): ImageOrTensor;
export function pad(
  img: ImageOrTensor,
  padding: PaddingArg,
  fill: number | readonly number[] = 0,
  paddingMode: PaddingMode = 'constant',
): ImageOrTensor {
  checkImageOrTensor('pad', img);
  const p = parsePadding('pad', padding);
  checkMode('pad', paddingMode);
  if (img instanceof torch.Tensor) {
    const f = toList('pad', 'fill', fill);
    if (f.length !== 1) {
      throw new TypeError(`pad: a tensor image takes one number as fill, got [${f.join(', ')}]`);
    }
    return padTensor(img, p, f[0]!, paddingMode);
  }
  return padImage(img, p, parseFill('pad', fill, img.channels), paddingMode);
}

/**
 * `F.crop(img, top, left, height, width)`: the `height × width` window whose top-left corner
 * is at (`left`, `top`). Parts of the window outside the image are zero, as torchvision's.
 */
export function crop(img: Image, top: number, left: number, height: number, width: number): Image;
export function crop(
  img: torch.Tensor,
  top: number,
  left: number,
  height: number,
  width: number,
): torch.Tensor;
export function crop(
  img: ImageOrTensor,
  top: number,
  left: number,
  height: number,
  width: number,
): ImageOrTensor;
export function crop(
  img: ImageOrTensor,
  top: number,
  left: number,
  height: number,
  width: number,
): ImageOrTensor {
  checkImageOrTensor('crop', img);
  for (const [k, v] of [
    ['top', top],
    ['left', left],
    ['height', height],
    ['width', width],
  ] as const) {
    if (!Number.isInteger(v)) throw new TypeError(`crop: ${k} must be an integer, got ${v}`);
  }
  if (height < 0 || width < 0)
    throw new torch.ValueError(`crop: height and width must be >= 0, got ${height}×${width}`);
  const [, h, w] = getDimensions(img);
  const right = left + width;
  const bottom = top + height;
  if (left < 0 || top < 0 || right > w || bottom > h) {
    // torchvision pads the missing part with zeros, then crops.
    const padLTRB: Padding4 = [
      Math.max(-left, 0),
      Math.max(-top, 0),
      Math.max(right - w, 0),
      Math.max(bottom - h, 0),
    ];
    const padded = pad(img, padLTRB, 0, 'constant');
    return crop(padded, top + padLTRB[1], left + padLTRB[0], height, width);
  }
  if (img instanceof torch.Tensor) {
    const nd = img.dim();
    let out = img;
    if (height !== h) out = out.narrow(nd - 2, top, height);
    if (width !== w) out = out.narrow(nd - 1, left, width);
    return out;
  }
  const c = img.channels;
  const out = createImage(width, height, c);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * w + left) * c;
    out.data.set(img.data.subarray(from, from + width * c), y * width * c);
  }
  return out;
}

/** `F.hflip(img)`: mirrors left to right. */
export function hflip(img: Image): Image;
export function hflip(img: torch.Tensor): torch.Tensor;
export function hflip(img: ImageOrTensor): ImageOrTensor;
export function hflip(img: ImageOrTensor): ImageOrTensor {
  checkImageOrTensor('hflip', img);
  if (img instanceof torch.Tensor) {
    const nd = img.dim();
    const w = img.shape[nd - 1]!;
    return img.indexSelect(
      nd - 1,
      indexTensor(
        Array.from({ length: w }, (_, i) => w - 1 - i),
        img.backend,
      ),
    );
  }
  const { width: w, height: h, channels: c, data } = img;
  const out = createImage(w, h, c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const to = (y * w + x) * c;
      const from = (y * w + (w - 1 - x)) * c;
      for (let k = 0; k < c; k++) out.data[to + k] = data[from + k]!;
    }
  }
  return out;
}
