import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as torch from '@stepwise/core';
import '@stepwise/cpu-js/register';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DatasetNotFoundError, datasets, IdxFormatError, type Image, transforms } from '../src/index.js';
import { gzip, idxBytes, tempDir, tinySplit, writeFiles } from './helpers.js';

const FASHION_CLASSES = [
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

const train = tinySplit(7, 3, 4);
const testSplit = tinySplit(3, 3, 4);
let tmp: ReturnType<typeof tempDir>;

beforeAll(() => {
  tmp = tempDir();
  // plain: the files directly in the folder.
  writeFiles(path.join(tmp.dir, 'plain'), {
    'train-images-idx3-ubyte': train.images,
    'train-labels-idx1-ubyte': train.labelsFile,
    't10k-images-idx3-ubyte': testSplit.images,
    't10k-labels-idx1-ubyte': testSplit.labelsFile,
  });
  // gz, as Debian's dataset-fashion-mnist ships them.
  writeFiles(path.join(tmp.dir, 'gz'), {
    'train-images-idx3-ubyte.gz': gzip(train.images),
    'train-labels-idx1-ubyte.gz': gzip(train.labelsFile),
  });
  // torchvision's layout: <root>/<Dataset>/raw/, one file plain and one gzipped.
  writeFiles(path.join(tmp.dir, 'tv', 'FashionMNIST', 'raw'), {
    't10k-images-idx3-ubyte.gz': gzip(testSplit.images),
    't10k-labels-idx1-ubyte': testSplit.labelsFile,
  });
  writeFiles(path.join(tmp.dir, 'tv', 'MNIST', 'raw'), {
    'train-images-idx3-ubyte': train.images,
    'train-labels-idx1-ubyte.gz': gzip(train.labelsFile),
  });
});
afterAll(() => tmp.cleanup());

function expectImage(img: Image, i: number, split = train) {
  expect([img.width, img.height, img.channels]).toEqual([4, 3, 1]);
  expect(Array.from(img.data)).toEqual(Array.from(split.pixels.subarray(i * 12, (i + 1) * 12)));
}

describe('reading a folder', () => {
  test('plain files: length, sizes, items as [Image, label]', () => {
    const ds = new datasets.FashionMNIST({ root: path.join(tmp.dir, 'plain') });
    expect(ds.length).toBe(7);
    expect(ds.train).toBe(true);
    expect([ds.rows, ds.cols]).toEqual([3, 4]);
    for (let i = 0; i < 7; i++) {
      const [img, label] = ds.get(i);
      expectImage(img, i);
      expect(label).toBe(train.labels[i]);
    }
    expect(Array.from(ds.targets)).toEqual(Array.from(train.labels));
    expect(ds.data.length).toBe(7 * 12);
    expect(ds.source.images).toBe(path.join(tmp.dir, 'plain', 'train-images-idx3-ubyte'));
  });

  test('the test split (train: false) reads the t10k files', () => {
    const ds = new datasets.FashionMNIST({ root: path.join(tmp.dir, 'plain'), train: false });
    expect(ds.length).toBe(3);
    expect(ds.train).toBe(false);
    expectImage(ds.get(2)[0], 2, testSplit);
  });

  test('.gz files', () => {
    const ds = new datasets.FashionMNIST({ root: path.join(tmp.dir, 'gz') });
    expect(ds.length).toBe(7);
    expectImage(ds.get(3)[0], 3);
    expect(ds.source.labels.endsWith('train-labels-idx1-ubyte.gz')).toBe(true);
  });

  test("torchvision's <root>/<Dataset>/raw layout, per dataset class", () => {
    const f = new datasets.FashionMNIST({ root: path.join(tmp.dir, 'tv'), train: false });
    expect(f.length).toBe(3);
    expect(f.source.images).toBe(
      path.join(tmp.dir, 'tv', 'FashionMNIST', 'raw', 't10k-images-idx3-ubyte.gz'),
    );
    const m = new datasets.MNIST({ root: path.join(tmp.dir, 'tv') });
    expect(m.length).toBe(7);
    expectImage(m.get(6)[0], 6);
  });

  test('negative indices count from the end; out of range is a RangeError', () => {
    const ds = new datasets.MNIST({ root: path.join(tmp.dir, 'plain') });
    expectImage(ds.get(-1)[0], 6);
    expect(() => ds.get(7)).toThrow('MNIST: index 7 is out of range for a dataset of 7 samples');
    expect(() => ds.get(-8)).toThrow(RangeError);
    expect(() => ds.get(1.5)).toThrow(RangeError);
  });

  test('items are copies: changing one leaves the dataset as it was', () => {
    const ds = new datasets.MNIST({ root: path.join(tmp.dir, 'plain') });
    const [img] = ds.get(0);
    img.data.fill(99);
    expectImage(ds.get(0)[0], 0);
  });

  test('classes and classToIdx as torchvision names them', () => {
    const f = new datasets.FashionMNIST({ root: path.join(tmp.dir, 'plain') });
    expect(f.classes).toEqual(FASHION_CLASSES);
    expect(datasets.FashionMNIST.classes).toEqual(FASHION_CLASSES);
    expect(f.classToIdx['Ankle boot']).toBe(9);
    const m = new datasets.MNIST({ root: path.join(tmp.dir, 'plain') });
    expect(m.classes[0]).toBe('0 - zero');
    expect(m.classes[9]).toBe('9 - nine');
    expect(m.classes.length).toBe(10);
  });

  test('transform and targetTransform (objects or functions)', () => {
    const ds = new datasets.FashionMNIST({
      root: path.join(tmp.dir, 'plain'),
      transform: new transforms.ToTensor(),
      targetTransform: (y: number) => `class ${y}`,
    });
    const [x, y] = ds.get(1);
    expect(x.shape).toEqual([1, 3, 4]);
    expect(x.dtype).toBe('float32');
    expect(Array.from(x.dataSync())).toEqual(
      Array.from(train.pixels.subarray(12, 24), (v) => Math.fround(v / 255)),
    );
    expect(y).toBe(`class ${train.labels[1]}`);
    expect(() => new datasets.MNIST({ root: path.join(tmp.dir, 'plain'), transform: 3 as never })).toThrow(
      'MNIST: transform must be a transform (an object with forward(x)) or a function, got number',
    );
  });

  test('repr as torchvision', () => {
    const ds = new datasets.FashionMNIST({
      root: path.join(tmp.dir, 'plain'),
      train: false,
      transform: new transforms.Compose([new transforms.ToTensor()]),
    });
    expect(String(ds)).toBe(
      [
        'Dataset FashionMNIST',
        '    Number of datapoints: 3',
        `    Root location: ${path.join(tmp.dir, 'plain')}`,
        '    Split: Test',
        '    Transform: Compose(',
        '        ToTensor()',
        '    )',
      ].join('\n'),
    );
  });
});

describe('errors', () => {
  test('missing files name the folders, the files and the Debian package', () => {
    const root = path.join(tmp.dir, 'empty');
    writeFiles(root, {});
    let err: Error | undefined;
    try {
      new datasets.FashionMNIST({ root });
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    const msg = err!.message;
    expect(msg).toContain(`looked in ${root} and ${path.join(root, 'FashionMNIST', 'raw')}`);
    expect(msg).toContain('for train-images-idx3-ubyte and train-labels-idx1-ubyte (each plain or .gz)');
    expect(msg).toContain('missing: train-images-idx3-ubyte, train-labels-idx1-ubyte');
    expect(msg).toContain(
      '`apt-get install dataset-fashion-mnist` puts Fashion-MNIST in /usr/share/datasets/fashion-mnist',
    );
    expect(msg).toContain('FashionMNIST.fromUrl(baseUrl)');
  });

  test('one missing file is named alone; a missing root says so', () => {
    const root = path.join(tmp.dir, 'half');
    writeFiles(root, { 'train-images-idx3-ubyte': train.images });
    expect(() => new datasets.MNIST({ root })).toThrow(/missing: train-labels-idx1-ubyte\./);
    expect(() => new datasets.MNIST({ root: path.join(tmp.dir, 'nope') })).toThrow(
      `MNIST: dataset not found (the folder ${path.join(tmp.dir, 'nope')} does not exist)`,
    );
  });

  test('a truncated images file: IdxFormatError naming the path and both sizes', () => {
    const root = path.join(tmp.dir, 'truncated');
    const cut = train.images.subarray(0, train.images.length - 5);
    writeFiles(root, { 'train-images-idx3-ubyte': cut, 'train-labels-idx1-ubyte': train.labelsFile });
    expect(() => new datasets.FashionMNIST({ root })).toThrow(
      `${path.join(root, 'train-images-idx3-ubyte')}: expected 100 bytes (16 header bytes and 7 × 3 × 4 uint8 values), the file has 95 bytes (truncated)`,
    );
  });

  test('a truncated .gz file', () => {
    const root = path.join(tmp.dir, 'truncated-gz');
    const gz = gzip(train.images);
    writeFiles(root, {
      'train-images-idx3-ubyte.gz': gz.subarray(0, 30),
      'train-labels-idx1-ubyte': train.labelsFile,
    });
    expect(() => new datasets.FashionMNIST({ root })).toThrow(
      /train-images-idx3-ubyte\.gz: not a valid gzip stream .*the compressed file has 30 bytes/,
    );
  });

  test('swapped files, label count mismatch, label out of range', () => {
    const swapped = path.join(tmp.dir, 'swapped');
    writeFiles(swapped, {
      'train-images-idx3-ubyte': train.labelsFile,
      'train-labels-idx1-ubyte': train.images,
    });
    expect(() => new datasets.MNIST({ root: swapped })).toThrow(
      /train-images-idx3-ubyte: IDX magic number 0x00000801 \(uint8, 1 dimension\), expected 0x00000803/,
    );
    const mismatch = path.join(tmp.dir, 'mismatch');
    writeFiles(mismatch, {
      'train-images-idx3-ubyte': train.images,
      'train-labels-idx1-ubyte': idxBytes(0x08, [6], train.labels.subarray(0, 6)),
    });
    expect(() => new datasets.MNIST({ root: mismatch })).toThrow(
      /train-labels-idx1-ubyte has 6 labels but .*train-images-idx3-ubyte has 7 images/,
    );
    const range = path.join(tmp.dir, 'range');
    const labels = Uint8Array.from(train.labels);
    labels[4] = 10;
    writeFiles(range, {
      'train-images-idx3-ubyte': train.images,
      'train-labels-idx1-ubyte': idxBytes(0x08, [7], labels),
    });
    expect(() => new datasets.FashionMNIST({ root: range })).toThrow(IdxFormatError);
    expect(() => new datasets.FashionMNIST({ root: range })).toThrow(
      /label 10 at index 4 is out of range for the 10 classes of FashionMNIST \(0\.\.9\)/,
    );
  });

  test('download: true points to fromUrl', () => {
    expect(() => new datasets.FashionMNIST({ root: tmp.dir, download: true })).toThrow(
      /FashionMNIST\.fromUrl\(FashionMNIST\.mirrors\[0\], \{ train \}\)/,
    );
  });
});

describe('fromBytes and fromUrl', () => {
  test('fromBytes takes plain or gzipped bytes', async () => {
    const ds = await datasets.FashionMNIST.fromBytes(
      { images: gzip(train.images), labels: train.labelsFile },
      { transform: new transforms.ToTensor() },
    );
    expect(ds).toBeInstanceOf(datasets.FashionMNIST);
    expect(ds.length).toBe(7);
    expect(ds.get(0)[0].shape).toEqual([1, 3, 4]);
    expect(ds.classes).toEqual(FASHION_CLASSES);
    await expect(datasets.MNIST.fromBytes({ images: train.images } as never)).rejects.toThrow(
      'MNIST.fromBytes: labels must be a Uint8Array (the train-labels-idx1-ubyte file',
    );
  });

  describe('over HTTP', () => {
    let server: http.Server;
    let base: string;
    const requests: string[] = [];
    beforeAll(async () => {
      const files: Record<string, Uint8Array> = {
        '/data/train-images-idx3-ubyte.gz': gzip(train.images),
        '/data/train-labels-idx1-ubyte': train.labelsFile, // no .gz: fromUrl falls back to the plain name
        '/data/t10k-images-idx3-ubyte.gz': gzip(testSplit.images),
        '/data/t10k-labels-idx1-ubyte.gz': gzip(testSplit.labelsFile).subarray(0, 20),
      };
      server = http.createServer((req, res) => {
        requests.push(req.url ?? '');
        const body = files[req.url ?? ''];
        if (!body) {
          res.writeHead(404, 'Not Found').end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/data`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    test('fetches .gz first, then the plain name', async () => {
      const ds = await datasets.FashionMNIST.fromUrl(base, { train: true });
      expect(ds.length).toBe(7);
      expectImage(ds.get(5)[0], 5);
      expect(ds.get(5)[1]).toBe(train.labels[5]);
      expect(ds.root).toBe(`${base}/`);
      expect(ds.source).toEqual({
        images: `${base}/train-images-idx3-ubyte.gz`,
        labels: `${base}/train-labels-idx1-ubyte`,
      });
      expect(requests).toContain('/data/train-labels-idx1-ubyte.gz');
    });

    test('a truncated download is an IdxFormatError naming the URL', async () => {
      await expect(datasets.FashionMNIST.fromUrl(`${base}/`, { train: false })).rejects.toThrow(
        new RegExp(`${base}/t10k-labels-idx1-ubyte\\.gz: not a valid gzip stream`),
      );
    });

    test('files absent at the URL: every URL tried, with its status', async () => {
      const err = await datasets.FashionMNIST.fromUrl(`${base}/missing/`).catch((e: Error) => e);
      expect(err).toBeInstanceOf(DatasetNotFoundError);
      expect((err as Error).message).toContain(
        `FashionMNIST: could not fetch train-images-idx3-ubyte (plain or .gz): tried ${base}/missing/train-images-idx3-ubyte.gz (HTTP 404 Not Found), ${base}/missing/train-images-idx3-ubyte (HTTP 404 Not Found)`,
      );
    });
  });

  test('a custom fetch', async () => {
    const seen: string[] = [];
    const ds = await datasets.MNIST.fromUrl('/relative/base', {
      fetch: async (url) => {
        seen.push(url);
        if (url === '/relative/base/train-images-idx3-ubyte.gz') return new Response(gzip(train.images));
        if (url === '/relative/base/train-labels-idx1-ubyte.gz') return new Response(gzip(train.labelsFile));
        return new Response(null, { status: 404 });
      },
    });
    expect(ds.length).toBe(7);
    expect(seen.sort()).toEqual([
      '/relative/base/train-images-idx3-ubyte.gz',
      '/relative/base/train-labels-idx1-ubyte.gz',
    ]);
    const failing = await datasets.MNIST.fromUrl('x', {
      fetch: async () => {
        throw new TypeError('network down');
      },
    }).catch((e: Error) => e.message);
    expect(failing).toContain(
      'tried x/train-images-idx3-ubyte.gz (network down), x/train-images-idx3-ubyte (network down)',
    );
  });
});

describe("with core's DataLoader", () => {
  test('batches of [images, labels]; shuffle with a seed visits every sample once', () => {
    const ds = new datasets.FashionMNIST({
      root: path.join(tmp.dir, 'plain'),
      transform: new transforms.Compose([new transforms.ToTensor(), new transforms.Normalize([0.5], [0.5])]),
    });
    const loader = new torch.DataLoader(ds, { batchSize: 3, shuffle: true, seed: 5 });
    expect(loader.length).toBe(3);
    const seen: number[] = [];
    const sizes: number[][] = [];
    for (const batch of loader) {
      const [x, y] = batch as unknown as [torch.Tensor, torch.Tensor | number[]];
      sizes.push([...x.shape]);
      expect(x.dtype).toBe('float32');
      // API.md: number labels collate to an int32 tensor; core collated them to a plain array before.
      if (y instanceof torch.Tensor) expect(y.dtype).toBe('int32');
      const labels = y instanceof torch.Tensor ? Array.from(y.dataSync()) : y;
      const xs = x.dataSync();
      for (let b = 0; b < labels.length; b++) {
        // Find which sample this is from its first pixel, then check its label.
        const first = Math.round((xs[b * 12]! * 0.5 + 0.5) * 255);
        const i = Array.from({ length: 7 }, (_, k) => k).find((k) => train.pixels[k * 12] === first)!;
        expect(labels[b]).toBe(train.labels[i]);
        seen.push(i);
      }
    }
    expect(sizes).toEqual([
      [3, 1, 3, 4],
      [3, 1, 3, 4],
      [1, 1, 3, 4],
    ]);
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});
