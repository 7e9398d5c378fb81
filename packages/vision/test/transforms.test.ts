/**
 * Transforms against torchvision's semantics. Expected values come from
 * fixtures/transforms.json, made by fixtures/generate.py with PyTorch 1.13 (each transform
 * written out as torchvision 0.14's source does it; torchvision itself is not installed there).
 */
import { readFileSync } from 'node:fs';
import * as torch from '@stepwise/core';
import '@stepwise/cpu-js/register';
import { describe, expect, test } from 'vitest';
import { createImage, type Image, isImage, transforms } from '../src/index.js';

const F = transforms.functional;

interface ImageCase {
  h: number;
  w: number;
  c: number;
  data: number[];
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/transforms.json', import.meta.url), 'utf8'));

const img = (c: ImageCase): Image => createImage(c.w, c.h, c.c, Uint8Array.from(c.data));
const values = (t: torch.Tensor) => Array.from(t.dataSync());
const f32 = (xs: number[]) => xs.map(Math.fround);

describe('ToTensor', () => {
  test.each(fx.toTensor as (ImageCase & { expected: number[] })[])(
    'uint8 $h×$w×$c → float32 [C, H, W] / 255, bit for bit',
    (c) => {
      const t = new transforms.ToTensor().forward(img(c));
      expect(t.shape).toEqual([c.c, c.h, c.w]);
      expect(t.dtype).toBe('float32');
      expect(values(t)).toEqual(f32(c.expected));
    },
  );

  test('refuses tensors and other things, as torchvision', () => {
    expect(() => new transforms.ToTensor().forward(torch.zeros(1, 2, 2) as never)).toThrow(
      'toTensor: pic should be an Image. Got Tensor',
    );
    expect(() => F.toTensor({ width: 1 } as never)).toThrow(TypeError);
  });
});

describe('Normalize', () => {
  test.each(
    fx.normalize as {
      shape: number[];
      mean: number[];
      std: number[];
      dtype: string;
      input: number[];
      expected: number[];
    }[],
  )('$dtype $shape mean=$mean std=$std', (c) => {
    const dtype = c.dtype as 'float32' | 'float64';
    const x = torch
      .tensor(dtype === 'float32' ? Float32Array.from(c.input) : Float64Array.from(c.input), { dtype })
      .reshape(c.shape);
    const y = new transforms.Normalize(c.mean, c.std).forward(x);
    expect(y.shape).toEqual(c.shape);
    expect(y.dtype).toBe(dtype);
    expect(values(y)).toEqual(dtype === 'float32' ? f32(c.expected) : c.expected);
    expect(values(x)).toEqual(dtype === 'float32' ? f32(c.input) : c.input);
  });

  test('inplace writes into the input', () => {
    const x = torch.tensor([[[1, 2]], [[3, 4]]]);
    const y = new transforms.Normalize([1, 2], [2, 4], { inplace: true }).forward(x);
    expect(values(x)).toEqual([0, 0.5, 0.25, 0.5]);
    expect(values(y)).toEqual([0, 0.5, 0.25, 0.5]);
  });

  test("torchvision's errors", () => {
    const n = new transforms.Normalize([0.5], [0.5]);
    expect(() => n.forward(torch.ones([1, 2, 2], { dtype: 'int32' }))).toThrow(
      'Input tensor should be a float tensor. Got int32.',
    );
    expect(() => n.forward(torch.ones(2, 2))).toThrow(
      'Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = [2, 2]',
    );
    expect(() => new transforms.Normalize([0.5], [0]).forward(torch.ones(1, 2, 2))).toThrow(
      'std evaluated to zero after conversion to torch.float32, leading to division by zero.',
    );
    expect(() => new transforms.Normalize([0.5], [1e-50]).forward(torch.ones(1, 2, 2))).toThrow(
      torch.ValueError,
    );
    expect(() => n.forward(createImage(2, 2) as never)).toThrow(
      'normalize: img should be a Tensor image. Got Object',
    );
    expect(() => new transforms.Normalize([0.5, 0.5], [1, 1]).forward(torch.ones(3, 2, 2))).toThrow(
      'normalize: mean has 2 values but the tensor has 3 channels (shape [3, 2, 2])',
    );
  });

  test('repr', () => {
    expect(String(new transforms.Normalize([0.286], [0.353]))).toBe('Normalize(mean=[0.286], std=[0.353])');
  });
});

type PadCase = ImageCase & {
  padding: number | number[];
  fill: number | number[];
  mode: transforms.PaddingMode;
  expected: number[];
};
type PadTensorCase = {
  shape: number[];
  input: number[];
  padding: number | number[];
  fill: number;
  mode: transforms.PaddingMode;
  expected: number[];
};

describe('Pad', () => {
  test.each(fx.padImage as PadCase[])('Image $h×$w×$c padding=$padding fill=$fill $mode', (c) => {
    const out = new transforms.Pad(c.padding as transforms.PaddingArg, {
      fill: c.fill,
      paddingMode: c.mode,
    }).forward(img(c));
    expect(isImage(out)).toBe(true);
    expect(Array.from(out.data)).toEqual(c.expected);
  });

  test.each(fx.padTensor as PadTensorCase[])('tensor $shape padding=$padding fill=$fill $mode', (c) => {
    const x = torch.tensor(Float32Array.from(c.input)).reshape(c.shape);
    const out = new transforms.Pad(c.padding as transforms.PaddingArg, {
      fill: c.fill,
      paddingMode: c.mode,
    }).forward(x);
    expect(values(out)).toEqual(f32(c.expected));
  });

  test('padding forms and sizes: int, [lr, tb], [l, t, r, b]; batched tensors', () => {
    const x = torch.zeros(2, 1, 3, 4);
    expect(new transforms.Pad(1).forward(x).shape).toEqual([2, 1, 5, 6]);
    expect(new transforms.Pad([1, 2]).forward(x).shape).toEqual([2, 1, 7, 6]);
    expect(new transforms.Pad([1, 2, 3, 4]).forward(x).shape).toEqual([2, 1, 9, 8]);
    expect(new transforms.Pad(2, { paddingMode: 'reflect' }).forward(torch.zeros(3, 4)).shape).toEqual([
      7, 8,
    ]);
    const im = new transforms.Pad([1, 2, 3, 4]).forward(createImage(4, 3, 3));
    expect([im.width, im.height, im.channels]).toEqual([8, 9, 3]);
  });

  test('the tensor path is differentiable', () => {
    const x = torch.ones([1, 2, 3], { requiresGrad: true });
    F.pad(x, [1, 0], 0, 'reflect').sum().backward();
    // Width 3 reflected by 1 on each side: columns 1 is read three times, 0 and 2 once.
    expect(x.grad!.tolist()).toEqual([
      [
        [1, 3, 1],
        [1, 3, 1],
      ],
    ]);
    const y = torch.ones([1, 2, 2], { requiresGrad: true });
    F.pad(y, 2, 5).sum().backward();
    expect(values(y.grad!)).toEqual([1, 1, 1, 1]);
  });

  test("torchvision's errors", () => {
    expect(() => new transforms.Pad([1, 2, 3] as never)).toThrow(
      'Pad: Padding must be an int or a 1, 2, or 4 element tuple, not a 3 element tuple',
    );
    expect(() => new transforms.Pad(-1)).toThrow(
      'Pad: padding must be non-negative integers, got [-1, -1, -1, -1]',
    );
    expect(() => new transforms.Pad(1, { paddingMode: 'wrap' as never })).toThrow(
      "Padding mode should be either constant, edge, reflect or symmetric, got 'wrap'",
    );
    expect(() => new transforms.Pad(1, { fill: [1, 2] }).forward(createImage(2, 2, 3))).toThrow(
      "pad: The number of elements in 'fill' does not match the number of channels of the image (2 != 3)",
    );
    expect(() => new transforms.Pad(1, { fill: [1, 2] }).forward(torch.zeros(2, 2, 2))).toThrow(
      'pad: a tensor image takes one number as fill, got [1, 2]',
    );
    expect(() => F.pad(torch.zeros(3), 1)).toThrow(
      'pad: a tensor image needs at least 2 dimensions (..., H, W), got shape [3]',
    );
    expect(() => F.pad('x' as never, 1)).toThrow('pad: img should be an Image or a Tensor. Got string');
  });

  test('repr', () => {
    expect(String(new transforms.Pad([1, 2], { paddingMode: 'edge' }))).toBe(
      'Pad(padding=[1, 2], fill=0, padding_mode=edge)',
    );
  });
});

describe('crop and hflip', () => {
  test('crop: Image and tensor agree; outside the image is zero', () => {
    const im = createImage(3, 2, 1, [1, 2, 3, 4, 5, 6]);
    expect(Array.from(F.crop(im, 0, 1, 2, 2).data)).toEqual([2, 3, 5, 6]);
    expect(Array.from(F.crop(im, -1, 2, 2, 2).data)).toEqual([0, 0, 3, 0]);
    const t = torch.tensor([
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    ]);
    expect(F.crop(t, 0, 1, 2, 2).tolist()).toEqual([
      [
        [2, 3],
        [5, 6],
      ],
    ]);
    expect(F.crop(t, -1, 2, 2, 2).tolist()).toEqual([
      [
        [0, 0],
        [3, 0],
      ],
    ]);
  });

  test('hflip mirrors every row of every channel', () => {
    const im = createImage(3, 1, 2, [1, 10, 2, 20, 3, 30]);
    expect(Array.from(F.hflip(im).data)).toEqual([3, 30, 2, 20, 1, 10]);
    expect(F.hflip(torch.tensor([[[1, 2, 3]], [[4, 5, 6]]])).tolist()).toEqual([[[3, 2, 1]], [[6, 5, 4]]]);
  });
});

describe("RandomCrop and RandomHorizontalFlip on torch's global generator", () => {
  test("after torch.manualSeed(s) they draw torchvision's crops and flips for seed s", () => {
    const g = fx.globalDraws as {
      seed: number;
      crops: { h: number; w: number; th: number; tw: number; params: number[] }[];
      flips: boolean[];
      flipsP03: boolean[];
    };
    torch.manualSeed(g.seed);
    for (const c of g.crops) {
      const rc = new transforms.RandomCrop([c.th, c.tw]);
      expect(rc.getParams(createImage(c.w, c.h), [c.th, c.tw])).toEqual(c.params);
    }
    const probe = createImage(2, 1, 1, [1, 2]);
    const flip = new transforms.RandomHorizontalFlip();
    expect(g.flips.map(() => flip.forward(probe).data[0] === 2)).toEqual(g.flips);
    const flip3 = new transforms.RandomHorizontalFlip({ p: 0.3 });
    expect(g.flipsP03.map(() => flip3.forward(probe).data[0] === 2)).toEqual(g.flipsP03);
  });

  test('a whole pipeline on Images gives the values of torchvision for the same seed', () => {
    const p = fx.pipeline as { seed: number; items: (ImageCase & { expected: number[]; shape: number[] })[] };
    const pipeline = new transforms.Compose([
      new transforms.RandomCrop(4, { padding: 2 }),
      new transforms.RandomHorizontalFlip(),
      new transforms.ToTensor(),
      new transforms.Normalize(0.5, 0.25),
    ]);
    torch.manualSeed(p.seed);
    for (const item of p.items) {
      const y = pipeline.forward(img(item)) as torch.Tensor;
      expect(y.shape).toEqual(item.shape);
      expect(values(y)).toEqual(f32(item.expected));
    }
    // The same pipeline on tensors (ToTensor first) agrees.
    const onTensors = new transforms.Compose([
      new transforms.ToTensor(),
      new transforms.RandomCrop(4, { padding: 2 }),
      new transforms.RandomHorizontalFlip(),
      new transforms.Normalize(0.5, 0.25),
    ]);
    torch.manualSeed(p.seed);
    for (const item of p.items) expect(values(onTensors.forward(img(item)))).toEqual(f32(item.expected));
  });

  test('padIfNeeded pads both sides by the shortfall, as torchvision', () => {
    const c = fx.padIfNeeded as ImageCase & { seed: number; expected: number[]; shape: number[] };
    torch.manualSeed(c.seed);
    const rc = new transforms.RandomCrop([6, 4], { padIfNeeded: true, paddingMode: 'edge' });
    const out = rc.forward(new transforms.ToTensor().forward(img(c)));
    expect(out.shape).toEqual(c.shape);
    expect(values(out)).toEqual(f32(c.expected));
  });
});

describe('seeded random transforms', () => {
  const images = Array.from({ length: 20 }, (_, k) =>
    createImage(
      6,
      5,
      1,
      Uint8Array.from({ length: 30 }, (_, i) => (i * 7 + k) % 256),
    ),
  );
  const run = (opts: transforms.RandomOptions) => {
    const crop = new transforms.RandomCrop(3, { padding: 1, ...opts });
    return images.map((im) => Array.from(crop.forward(im).data));
  };

  test('the same seed repeats; another seed differs; the global generator is not touched', () => {
    torch.manualSeed(1);
    const before = torch.rand(3).tolist();
    torch.manualSeed(1);
    const a = run({ seed: 7 });
    expect(torch.rand(3).tolist()).toEqual(before);
    expect(run({ seed: 7 })).toEqual(a);
    expect(run({ seed: 8 })).not.toEqual(a);
    expect(run({ generator: torch.mulberry32(7) })).toEqual(a);
  });

  test('a torch.Generator draws what the global generator draws for its seed, leaving the global one', () => {
    torch.manualSeed(3);
    const global = run({});
    torch.manualSeed(1);
    const before = torch.rand(3).tolist();
    torch.manualSeed(1);
    expect(run({ generator: new torch.Generator().manualSeed(3) })).toEqual(global);
    expect(torch.rand(3).tolist()).toEqual(before);
  });

  test('RandomHorizontalFlip: p = 0 never flips, p = 1 always; a bare number is p', () => {
    const im = createImage(2, 1, 1, [1, 2]);
    const never = new transforms.RandomHorizontalFlip({ p: 0, seed: 1 });
    const always = new transforms.RandomHorizontalFlip(1);
    expect(always.p).toBe(1);
    for (let i = 0; i < 20; i++) {
      expect(Array.from(never.forward(im).data)).toEqual([1, 2]);
      expect(Array.from(always.forward(im).data)).toEqual([2, 1]);
    }
    const half = new transforms.RandomHorizontalFlip({ seed: 3 });
    const flips = Array.from({ length: 200 }, () => half.forward(im).data[0] === 2).filter(Boolean).length;
    expect(flips).toBeGreaterThan(70);
    expect(flips).toBeLessThan(130);
  });

  test('errors', () => {
    expect(() => new transforms.RandomCrop(5).forward(createImage(4, 4))).toThrow(
      'Required crop size (5, 5) is larger than input image size (4, 4)',
    );
    expect(() => new transforms.RandomCrop([1, 2, 3] as never)).toThrow(
      'RandomCrop: Please provide only two dimensions (h, w) for size.',
    );
    expect(() => new transforms.RandomHorizontalFlip({ p: 1.5 })).toThrow(
      'RandomHorizontalFlip: p must be a probability in [0, 1], got 1.5',
    );
    expect(() => new transforms.RandomCrop(2, { seed: 1, generator: Math.random })).toThrow(
      'RandomCrop: pass either seed or generator, not both',
    );
  });

  test('an image already of the crop size is returned whole, with no draw', () => {
    torch.manualSeed(5);
    const before = torch.rand(2).tolist();
    torch.manualSeed(5);
    const im = createImage(3, 3, 1, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(new transforms.RandomCrop(3).forward(im).data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(torch.rand(2).tolist()).toEqual(before);
  });
});

describe('Compose and Lambda', () => {
  test('apply in order; functions and Lambdas are transforms; repr as torchvision', () => {
    const c = new transforms.Compose([
      new transforms.ToTensor(),
      new transforms.Lambda((t: torch.Tensor) => t.mul(2)),
      (t: torch.Tensor) => t.add(1),
    ]);
    const out = c.forward(createImage(2, 1, 1, [0, 255])) as torch.Tensor;
    expect(out.tolist()).toEqual([[[1, 3]]]);
    expect(c.call(createImage(1, 1, 1, [0])).tolist()).toEqual([[[1]]]);
    expect(String(c)).toBe('Compose(\n    ToTensor()\n    Lambda()\n    Lambda(fn)\n)');
    expect(() => new transforms.Lambda(3 as never)).toThrow(
      'Lambda: Argument lambd should be callable, got number',
    );
    expect(() => new transforms.Compose([new transforms.ToTensor(), null as never])).toThrow(
      'Compose: transforms[1] must be a transform',
    );
  });
});
