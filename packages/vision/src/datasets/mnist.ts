/**
 * `torchvision.datasets.MNIST` and `FashionMNIST`: the four IDX files of the dataset
 * (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
 * `t10k-labels-idx1-ubyte`, each plain or gzipped), read from a folder in Node or fetched
 * from a base URL anywhere.
 */
import type * as torch from '@stepwise/core';
import { DatasetNotFoundError, IdxFormatError } from '../errors.js';
import type { Image } from '../image.js';
import { gunzip, gunzipSync } from '../io/gzip.js';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, parseIdx } from '../io/idx.js';
import { isNode, nodeModules } from '../io/node.js';
import {
  applyTransform,
  checkTransform,
  describeTransform,
  type TransformLike,
} from '../transforms/transform.js';

/** Options of `new MNIST(...)` / `new FashionMNIST(...)` (torchvision's arguments, camelCased). */
export interface MNISTOptions<X = Image, Y = number> {
  /**
   * The folder holding the files, either directly (Debian's `/usr/share/datasets/fashion-mnist`)
   * or in torchvision's layout `<root>/<MNIST|FashionMNIST>/raw/`.
   */
  root: string;
  /** The training split (60,000 images) if true (default), else the test split (10,000). */
  train?: boolean;
  /** Applied to each image (an `Image`), e.g. `new transforms.ToTensor()`. */
  transform?: TransformLike<Image, X> | null;
  /** Applied to each label (a number). */
  targetTransform?: TransformLike<number, Y> | null;
  /**
   * torchvision's `download`: not done by the synchronous constructor. `true` is an error
   * that points to `await MNIST.fromUrl(MNIST.mirrors[0])`.
   */
  download?: boolean;
}

/** Options of `MNIST.fromUrl` / `MNIST.fromBytes`: the constructor's, without `root`. */
export interface MNISTLoadOptions<X = Image, Y = number>
  extends Omit<MNISTOptions<X, Y>, 'root' | 'download'> {
  /** The `fetch` to use (default `globalThis.fetch`): for credentials, caching, or tests. */
  fetch?: (url: string) => Promise<Response>;
}

/** The raw bytes of a split: the images file and the labels file, each plain or gzipped. */
export interface MNISTBytes {
  /** The images file's bytes. */
  images: Uint8Array;
  /** The labels file's bytes. */
  labels: Uint8Array;
}

/** A parsed split, handed from the async factories to the constructor. */
interface Loaded {
  readonly images: Uint8Array;
  readonly labels: Int32Array;
  readonly rows: number;
  readonly cols: number;
  readonly source: {
    /** Where the images were read from. */
    readonly images: string;
    /** Where the labels were read from. */
    readonly labels: string;
  };
}

/** Set by the factories around their synchronous `new this(...)`, read by the constructor. */
let pending: Loaded | null = null;

/** File names of a split, without `.gz`. */
function splitFiles(train: boolean): { images: string; labels: string } {
  const p = train ? 'train' : 't10k';
  return { images: `${p}-images-idx3-ubyte`, labels: `${p}-labels-idx1-ubyte` };
}

function parseSplit(
  ds: typeof MNIST,
  imagesBytes: Uint8Array,
  labelsBytes: Uint8Array,
  source: { images: string; labels: string },
): Loaded {
  const images = parseIdx(imagesBytes, { name: source.images, magic: IDX_IMAGES_MAGIC });
  const labels = parseIdx(labelsBytes, { name: source.labels, magic: IDX_LABELS_MAGIC });
  const [n, rows, cols] = images.shape as [number, number, number];
  const m = labels.shape[0]!;
  if (n !== m) {
    throw new IdxFormatError(
      `${source.labels} has ${m} labels but ${source.images} has ${n} images; they must match`,
    );
  }
  const raw = labels.data as Uint8Array;
  const k = ds.classes.length;
  const targets = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const v = raw[i]!;
    if (v >= k) {
      throw new IdxFormatError(
        `${source.labels}: label ${v} at index ${i} is out of range for the ${k} classes of ${ds.datasetName} (0..${k - 1})`,
      );
    }
    targets[i] = v;
  }
  return { images: images.data as Uint8Array, labels: targets, rows, cols, source };
}

function notFoundHint(ds: typeof MNIST): string {
  const debian = ds.debianPackage
    ? ` On Debian, \`apt-get install ${ds.debianPackage.name}\` puts ${ds.debianPackage.what} in ${ds.debianPackage.path} (pass that folder as root).`
    : '';
  return `${debian} The files can also be downloaded from ${ds.mirrors.join(' or ')}; in a browser, use \`await ${ds.datasetName}.fromUrl(baseUrl)\`.`;
}

/** Reads a split from a folder (Node). */
function readFolder(ds: typeof MNIST, root: string, train: boolean): Loaded {
  const node = nodeModules();
  if (!node) {
    throw new Error(
      isNode()
        ? `${ds.datasetName}: reading ${root} synchronously needs Node 20.16 or later (process.getBuiltinModule); on older Node use \`await ${ds.datasetName}.fromBytes({ images, labels })\` with the files' bytes`
        : `${ds.datasetName}: reading a folder (root '${root}') needs Node; in a browser use \`await ${ds.datasetName}.fromUrl(baseUrl)\``,
    );
  }
  const { fs, path } = node;
  if (typeof root !== 'string' || root === '') {
    throw new TypeError(
      `${ds.datasetName}: root must be a folder path (a non-empty string), got ${String(root)}`,
    );
  }
  const folders = [root, path.join(root, ds.datasetName, 'raw')];
  const files = splitFiles(train);
  const found: Partial<Record<'images' | 'labels', string>> = {};
  for (const key of ['images', 'labels'] as const) {
    search: for (const dir of folders) {
      for (const name of [files[key], `${files[key]}.gz`]) {
        const p = path.join(dir, name);
        if (fs.statSync(p, { throwIfNoEntry: false })?.isFile()) {
          found[key] = p;
          break search;
        }
      }
    }
  }
  if (!found.images || !found.labels) {
    const missing = (['images', 'labels'] as const).filter((k) => !found[k]).map((k) => files[k]);
    const rootState = fs.statSync(root, { throwIfNoEntry: false })
      ? ''
      : ` (the folder ${root} does not exist)`;
    throw new DatasetNotFoundError(
      `${ds.datasetName}: dataset not found${rootState}: looked in ${folders.join(' and ')} for ${files.images} and ${files.labels} (each plain or .gz); missing: ${missing.join(', ')}.${notFoundHint(ds)}`,
    );
  }
  const read = (p: string) => {
    const b = fs.readFileSync(p);
    return gunzipSync(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), p);
  };
  return parseSplit(ds, read(found.images), read(found.labels), {
    images: found.images,
    labels: found.labels,
  });
}

/** Fetches one file, trying `<name>.gz` then `<name>` under `base`. */
async function fetchFile(
  ds: typeof MNIST,
  base: string,
  name: string,
  fetchFn: (url: string) => Promise<Response>,
): Promise<{ url: string; bytes: Uint8Array }> {
  const tried: string[] = [];
  for (const file of [`${name}.gz`, name]) {
    const url = base + file;
    let res: Response;
    try {
      res = await fetchFn(url);
    } catch (e) {
      tried.push(`${url} (${e instanceof Error ? e.message : String(e)})`);
      continue;
    }
    if (!res.ok) {
      tried.push(`${url} (HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''})`);
      continue;
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { url, bytes: await gunzip(bytes, url) };
  }
  throw new DatasetNotFoundError(
    `${ds.datasetName}: could not fetch ${name} (plain or .gz): tried ${tried.join(', ')}.${notFoundHint(ds)}`,
  );
}

/**
 * `torchvision.datasets.MNIST(root, train=True, transform=None, target_transform=None)`:
 * handwritten digits, 28×28 grayscale. Item `i` is `[image, label]`: the image an `Image`
 * (1 channel) or whatever `transform` makes of it, the label a number in 0..9 (or what
 * `targetTransform` makes of it). Works with core's `DataLoader`.
 *
 *     const ds = new datasets.MNIST({ root: 'data', train: true, transform: new transforms.ToTensor() });
 *     const [x, y] = ds.get(0);   // x: float32 [1, 28, 28], y: 5
 */
export class MNIST<X = Image, Y = number> implements torch.utils.data.Dataset<[X, Y]> {
  /** The folder name in torchvision's layout (`<root>/MNIST/raw`), and the name errors use. */
  static readonly datasetName: string = 'MNIST';
  /** Class names, as torchvision's `MNIST.classes`. */
  static readonly classes: readonly string[] = [
    '0 - zero',
    '1 - one',
    '2 - two',
    '3 - three',
    '4 - four',
    '5 - five',
    '6 - six',
    '7 - seven',
    '8 - eight',
    '9 - nine',
  ];
  /** Where the files are published (torchvision's `mirrors`), for `fromUrl` in Node; browsers need a CORS-enabled host. */
  static readonly mirrors: readonly string[] = [
    'https://ossci-datasets.s3.amazonaws.com/mnist/',
    'http://yann.lecun.com/exdb/mnist/',
  ];
  /** The Debian package that installs the files, if there is one (named in "not found" errors). */
  static readonly debianPackage: { name: string; path: string; what: string } | null = null;

  /** The folder (or base URL) the files came from. */
  readonly root: string;
  /** Whether this is the training split. */
  readonly train: boolean;
  /** Applied to each image in `get`. */
  transform: TransformLike<Image, X> | null;
  /** Applied to each label in `get`. */
  targetTransform: TransformLike<number, Y> | null;
  /**
   * All images, `length × rows × cols` bytes, row-major (torchvision's `data`, a uint8
   * tensor there; core has no uint8 dtype, so here the bytes themselves).
   */
  readonly data: Uint8Array;
  /** All labels (torchvision's `targets`, int64 there, int32 here as everywhere in stepwise). */
  readonly targets: Int32Array;
  /** Image height in pixels (28 for MNIST). */
  readonly rows: number;
  /** Image width in pixels (28 for MNIST). */
  readonly cols: number;
  /** The paths or URLs the images and labels were read from. */
  readonly source: {
    /** Where the images were read from. */
    readonly images: string;
    /** Where the labels were read from. */
    readonly labels: string;
  };

  /**
   * Reads the split's files from `root` (Node; synchronous). Throws `DatasetNotFoundError`
   * naming the folders and files looked for when they are missing, `IdxFormatError` when a
   * file is malformed or truncated.
   */
  constructor(opts: MNISTOptions<X, Y>) {
    const ds = new.target as unknown as typeof MNIST;
    const loaded = pending;
    pending = null;
    if (!opts || typeof opts !== 'object') {
      throw new TypeError(
        `${ds.datasetName}: expected an options object { root, train, transform, targetTransform }`,
      );
    }
    if (opts.download) {
      throw new Error(
        `${ds.datasetName}: download is not done by the constructor (it reads synchronously); use \`await ${ds.datasetName}.fromUrl(${ds.datasetName}.mirrors[0], { train })\`, or save the files in root`,
      );
    }
    if (opts.transform != null) checkTransform(ds.datasetName, 'transform', opts.transform);
    if (opts.targetTransform != null) checkTransform(ds.datasetName, 'targetTransform', opts.targetTransform);
    this.train = opts.train ?? true;
    this.root = opts.root;
    this.transform = opts.transform ?? null;
    this.targetTransform = opts.targetTransform ?? null;
    const split = loaded ?? readFolder(ds, opts.root, this.train);
    this.data = split.images;
    this.targets = split.labels;
    this.rows = split.rows;
    this.cols = split.cols;
    this.source = split.source;
  }

  /**
   * Fetches the split from `baseUrl` (a folder URL, absolute or relative to the page):
   * `<baseUrl>/train-images-idx3-ubyte.gz`, falling back to the name without `.gz`, and the
   * same for the labels. Works in browsers, workers and Node 18+.
   *
   *     const train = await datasets.FashionMNIST.fromUrl('/data/fashion-mnist/', { train: true });
   */
  static async fromUrl<X = Image, Y = number>(
    baseUrl: string | URL,
    opts: MNISTLoadOptions<X, Y> = {},
  ): Promise<MNIST<X, Y>> {
    // biome-ignore lint/complexity: `this` is the class called on (FashionMNIST builds a FashionMNIST).
    const ds = this;
    const fetchFn = opts.fetch ?? globalThis.fetch?.bind(globalThis);
    if (typeof fetchFn !== 'function')
      throw new Error(`${ds.datasetName}.fromUrl: no fetch in this environment; pass { fetch }`);
    let base = String(baseUrl);
    if (!base.endsWith('/')) base += '/';
    const files = splitFiles(opts.train ?? true);
    const [images, labels] = await Promise.all([
      fetchFile(ds, base, files.images, fetchFn),
      fetchFile(ds, base, files.labels, fetchFn),
    ]);
    pending = parseSplit(ds, images.bytes, labels.bytes, { images: images.url, labels: labels.url });
    try {
      return new ds<X, Y>({ ...opts, root: base });
    } finally {
      pending = null;
    }
  }

  /**
   * Builds the split from the two files' bytes (each plain or gzipped), however they were
   * obtained (a file input, IndexedDB, a bundler asset).
   */
  static async fromBytes<X = Image, Y = number>(
    bytes: MNISTBytes,
    opts: MNISTLoadOptions<X, Y> = {},
  ): Promise<MNIST<X, Y>> {
    // biome-ignore lint/complexity: `this` is the class called on (FashionMNIST builds a FashionMNIST).
    const ds = this;
    const files = splitFiles(opts.train ?? true);
    for (const k of ['images', 'labels'] as const) {
      if (!(bytes?.[k] instanceof Uint8Array)) {
        throw new TypeError(
          `${ds.datasetName}.fromBytes: ${k} must be a Uint8Array (the ${files[k]} file's bytes)`,
        );
      }
    }
    const [images, labels] = await Promise.all([
      gunzip(bytes.images, files.images),
      gunzip(bytes.labels, files.labels),
    ]);
    pending = parseSplit(ds, images, labels, files);
    try {
      return new ds<X, Y>({ ...opts, root: '' });
    } finally {
      pending = null;
    }
  }

  /** Number of samples (PyTorch's `len(dataset)`). */
  get length(): number {
    return this.targets.length;
  }

  /** Class names (torchvision's `classes`). */
  get classes(): readonly string[] {
    return (this.constructor as typeof MNIST).classes;
  }

  /** Class name → index (torchvision's `class_to_idx`). */
  get classToIdx(): Record<string, number> {
    return Object.fromEntries(this.classes.map((c, i) => [c, i]));
  }

  /** The raw image `index` (a fresh copy, 1 channel) before any transform. */
  image(index: number): Image {
    const i = this.#check(index);
    const size = this.rows * this.cols;
    return {
      width: this.cols,
      height: this.rows,
      channels: 1,
      data: this.data.slice(i * size, (i + 1) * size),
    };
  }

  /** Item `index` (negative counts from the end): `[transform(image), targetTransform(label)]`. */
  get(index: number): [X, Y] {
    const img = this.image(index);
    const i = index < 0 ? index + this.length : index;
    const label = this.targets[i]!;
    const x = this.transform ? applyTransform(this.transform, img) : (img as unknown as X);
    const y = this.targetTransform ? applyTransform(this.targetTransform, label) : (label as unknown as Y);
    return [x, y];
  }

  #check(index: number): number {
    const n = this.length;
    if (!Number.isInteger(index) || index < -n || index >= n) {
      throw new RangeError(
        `${(this.constructor as typeof MNIST).datasetName}: index ${index} is out of range for a dataset of ${n} samples`,
      );
    }
    return index < 0 ? index + n : index;
  }

  /** torchvision's `repr(dataset)`. */
  toString(): string {
    const ds = this.constructor as typeof MNIST;
    const lines = [
      `Dataset ${ds.datasetName}`,
      `    Number of datapoints: ${this.length}`,
      `    Root location: ${this.root}`,
      `    Split: ${this.train ? 'Train' : 'Test'}`,
    ];
    if (this.transform)
      lines.push(`    Transform: ${describeTransform(this.transform).replace(/\n/g, '\n    ')}`);
    if (this.targetTransform) lines.push(`    Target transform: ${describeTransform(this.targetTransform)}`);
    return lines.join('\n');
  }
}

/**
 * `torchvision.datasets.FashionMNIST`: Zalando's 28×28 grayscale clothing images, 10
 * classes, MNIST's file format and layout. On Debian, `apt-get install dataset-fashion-mnist`
 * puts the files in `/usr/share/datasets/fashion-mnist`.
 *
 *     const ds = new datasets.FashionMNIST({ root: '/usr/share/datasets/fashion-mnist', train: true,
 *                                            transform: new transforms.ToTensor() });
 */
export class FashionMNIST<X = Image, Y = number> extends MNIST<X, Y> {
  /** The folder name in torchvision's layout (`<root>/FashionMNIST/raw`). */
  static override readonly datasetName: string = 'FashionMNIST';
  /** Class names, as torchvision's `FashionMNIST.classes`. */
  static override readonly classes: readonly string[] = [
    'T-shirt/top',
    'Trouser',
    'Pullover',
    'Dress',
    'Coat',
    'Sandal',
    'Shirt',
    'Sneaker',
    'Bag',
    'Ankle boot',
  ];
  /** Where Zalando publishes the files (torchvision's `mirrors`). */
  static override readonly mirrors: readonly string[] = [
    'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
  ];
  /** Debian's `dataset-fashion-mnist` installs the four `.gz` files in /usr/share/datasets/fashion-mnist. */
  static override readonly debianPackage = {
    /** The Debian package. */
    name: 'dataset-fashion-mnist',
    /** Where it installs the files. */
    path: '/usr/share/datasets/fashion-mnist',
    /** The data set. */
    what: 'Fashion-MNIST',
  };
}
