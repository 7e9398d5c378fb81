/**
 * The raw image type: torchvision's datasets hand out PIL images; stepwise hands out this,
 * the smallest thing that carries the same information (8-bit pixels, height × width ×
 * channels, row-major, channels last — numpy's `np.asarray(pil_image)` layout).
 */

/**
 * An 8-bit image: `data[(y * width + x) * channels + c]` is channel `c` of pixel (x, y).
 * `channels` is 1 for grayscale (PIL mode `'L'`, what MNIST gives), 3 for RGB, 4 for RGBA.
 * Transforms never modify their input image; they return a new one.
 */
export interface Image {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Channels per pixel (1 for grayscale). */
  readonly channels: number;
  /** Pixels, row-major, channels interleaved, one byte each. */
  readonly data: Uint8Array;
}

/**
 * Makes an `Image`, checking that `data` holds exactly `height * width * channels` bytes
 * (zero-filled when `data` is absent). Like `PIL.Image.frombytes` / `Image.fromarray`.
 */
export function createImage(
  width: number,
  height: number,
  channels = 1,
  data?: Uint8Array | ArrayLike<number>,
): Image {
  for (const [k, v] of [
    ['width', width],
    ['height', height],
    ['channels', channels],
  ] as const) {
    if (!Number.isInteger(v) || v < 0)
      throw new RangeError(`createImage: ${k} must be a non-negative integer, got ${v}`);
  }
  if (channels === 0) throw new RangeError('createImage: channels must be at least 1');
  const n = width * height * channels;
  const bytes =
    data === undefined ? new Uint8Array(n) : data instanceof Uint8Array ? data : Uint8Array.from(data);
  if (bytes.length !== n) {
    throw new RangeError(
      `createImage: a ${height}×${width} image with ${channels} channel${channels === 1 ? '' : 's'} needs ${n} bytes, got ${bytes.length}`,
    );
  }
  return { width, height, channels, data: bytes };
}

/** True when `x` looks like an `Image` (the type test transforms use to tell images from tensors). */
export function isImage(x: unknown): x is Image {
  if (!x || typeof x !== 'object') return false;
  const o = x as Record<string, unknown>;
  return (
    o['data'] instanceof Uint8Array &&
    Number.isInteger(o['width']) &&
    Number.isInteger(o['height']) &&
    Number.isInteger(o['channels'])
  );
}
