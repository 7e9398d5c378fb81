/**
 * `torch.save` / `torch.load`: round trips of every value kind, a checkpoint in the middle
 * of training (params + optimizer + scheduler) that continues bit-identically for every
 * optimizer, and clear errors (never a crash or a polluted prototype) for malformed,
 * truncated and hostile input.
 */

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { loadFile, saveFile } from '@stepwise/core/node';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../assert.js';
import { headerOf, saveAny, withHeader } from '../checkpoint.js';
import type { ConformanceContext } from '../context.js';
import { liveOf } from '../testMemory.js';
import { denseOptimizers } from './optim/info.js';
import { makeParams, setGrads } from './optim/params.js';
import { thrown, values } from './util.js';

export function expectCheckpointError(fn: () => unknown, re?: RegExp): Error {
  const e = thrown(fn);
  expect(e.name, e.message).toBe('CheckpointError');
  if (re) expect(e.message).toMatch(re);
  return e;
}

/** `v` wrapped in `depth` arrays (`kind: 'array'`) or objects `{ a: ... }` (`'object'`). */
function nested(v: unknown, depth: number, kind: 'array' | 'object'): unknown {
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

/** The header form of a plain value (what `torch.save` writes for it, tensors aside). */
function tagged(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(tagged);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v))
      Object.defineProperty(o, k, { value: tagged((v as any)[k]), enumerable: true, writable: true });
    return { $object: o };
  }
  return v;
}

/** A refusal's reason, without who refused and the name of the root (`obj` / `root`). */
function reason(e: Error): string {
  return e.message.replace(/^torch\.(save|load): (obj|root)/, '');
}

/** A dead process's pid: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

export function registerSerializeTests(ctx: ConformanceContext): void {
  describe('round trip', () => {
    it('keeps every value kind, dtype, shape and tensor sharing', async () => {
      const dt = ctx.supports('float64') ? 'float64' : 'float32';
      const a = torch.tensor(
        [
          [1.5, -2],
          [3, Number.NaN],
        ],
        { dtype: dt },
      );
      const i = torch.tensor([1, -7, 2 ** 30], { dtype: 'int32' });
      const b = torch.tensor([true, false, true], { dtype: 'bool' });
      const w = torch.tensor([0.25, 0.5], { requiresGrad: true });
      const obj = {
        a,
        again: a,
        list: [i, b, { deep: [w, 'text', null, undefined] }],
        nums: [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-310, 2 ** 53],
        flag: true,
        $tensor: 'not a tag',
      };
      const back = torch.load(await saveAny(ctx, obj));
      expect(back.again).toBe(back.a);
      expect(back.a.dtype).toBe(dt);
      expect([...back.a.shape]).toEqual([2, 2]);
      expect(await values(back.a)).toEqual([1.5, -2, 3, Number.NaN]);
      expect(await values(back.list[0])).toEqual([1, -7, 2 ** 30]);
      expect(back.list[1].dtype).toBe('bool');
      expect(await values(back.list[1])).toEqual([1, 0, 1]);
      expect(back.list[2].deep[0].requiresGrad).toBe(true);
      expect(await values(back.list[2].deep[0])).toEqual([0.25, 0.5]);
      expect(back.list[2].deep.slice(1)).toEqual(['text', null, undefined]);
      expect(Object.is(back.nums[1], -0)).toBe(true);
      expect(back.nums).toEqual(obj.nums);
      expect(back.flag).toBe(true);
      expect(back.$tensor).toBe('not a tag');
    });

    it('what save writes load reads: 256 levels of nesting round-trip, deeper is refused by both alike', async () => {
      for (const kind of ['array', 'object'] as const) {
        const deepest = nested({ w: torch.tensor([1, 2]), s: 's' }, 255, kind);
        let back = torch.load(await saveAny(ctx, deepest));
        for (let i = 0; i < 255; i++) back = kind === 'array' ? back[0] : back.a;
        expect(await values(back.w), kind).toEqual([1, 2]);
        expect(back.s).toBe('s');
        const tooDeep = nested(1, 257, kind);
        const saved = thrown(() => torch.save(tooDeep));
        expect(saved.name, saved.message).toBe('CheckpointError');
        expect(saved.message).toMatch(/nested deeper than 256 levels/);
        const loaded = expectCheckpointError(() =>
          torch.load(withHeader({ tensors: [], root: tagged(tooDeep) })),
        );
        expect(reason(saved)).toBe(reason(loaded));
      }
    });

    it('saving a 5,000-deep value is a CheckpointError, not a stack overflow', async () => {
      for (const kind of ['array', 'object'] as const) {
        const e = thrown(() => torch.save(nested(1, 5000, kind)));
        expect(e.name, e.message).toBe('CheckpointError');
        expect(e.message).toMatch(/deeper than 256/);
        await expect(torch.saveAsync(nested(1, 5000, kind))).rejects.toThrow(/deeper than 256/);
      }
    });

    it('keys load refuses (__proto__, constructor, prototype) save refuses with the same error', () => {
      for (const k of ['__proto__', 'constructor', 'prototype']) {
        const inner: any = {};
        Object.defineProperty(inner, k, { value: 1, enumerable: true, writable: true, configurable: true });
        const obj = { model: inner };
        const saved = thrown(() => torch.save(obj));
        expect(saved.name, saved.message).toBe('CheckpointError');
        expect(saved.message).toMatch(new RegExp(`forbidden key '${k}'`));
        const loaded = expectCheckpointError(() =>
          torch.load(withHeader({ tensors: [], root: tagged(obj) })),
        );
        expect(reason(saved)).toBe(reason(loaded));
      }
      expect(({} as any).polluted).toBeUndefined();
    });

    it('holes in arrays load as undefined, as they read', async () => {
      // biome-ignore lint/suspicious/noSparseArray: the hole is the point
      const back = torch.load(await saveAny(ctx, { a: [1, , 3] }));
      expect(back.a).toEqual([1, undefined, 3]);
      expect(1 in back.a).toBe(true);
    });

    it('refuses what it cannot save, naming where', () => {
      const cyc: any = { a: [] };
      cyc.a.push(cyc);
      expect(thrown(() => torch.save({ m: new Map() })).message).toMatch(/obj\.m.*Map/);
      expect(thrown(() => torch.save(cyc)).message).toMatch(/cycle/);
      expect(thrown(() => torch.save({ f: () => 1 })).message).toMatch(/obj\.f/);
    });
  });

  describe('checkpoint in the middle of training continues bit-identically', () => {
    for (const { name, make, options: opts, shapes: all } of denseOptimizers) {
      it(name, async () => {
        const shapes = all.slice(0, 3);
        const ps = makeParams(shapes, 'float32');
        const opt = make(ps, opts);
        const sched = new torch.optim.lrScheduler.StepLR(opt, { stepSize: 3, gamma: 0.5 });
        const train = (params: Tensor[], o: typeof opt, s: typeof sched, from: number, to: number) => {
          for (let t = from; t < to; t++) {
            setGrads(params, t, 2);
            o.step();
            s.step();
          }
        };
        train(ps, opt, sched, 0, 5);
        const bytes = await saveAny(ctx, { params: ps, optim: opt.stateDict(), sched: sched.stateDict() });
        const ck = torch.load(bytes);
        const ps2: Tensor[] = ck.params;
        const opt2 = make(ps2, opts);
        opt2.loadStateDict(ck.optim);
        const sched2 = new torch.optim.lrScheduler.StepLR(opt2, { stepSize: 3, gamma: 0.5 });
        sched2.loadStateDict(ck.sched);
        train(ps, opt, sched, 5, 10);
        train(ps2, opt2, sched2, 5, 10);
        for (let k = 0; k < ps.length; k++)
          expect(await values(ps2[k]!), `param ${k}`).toEqual(await values(ps[k]!));
        expect(sched2.getLastLr()).toEqual(sched.getLastLr());
      });
    }
  });

  it('a checkpoint written on this backend loads on the reference backend, and training continues alike', async () => {
    const ref = ctx.reference();
    const ps = makeParams([[5], [7]], 'float32');
    const opt = new torch.optim.Adam(ps, { lr: 0.05 });
    for (let t = 0; t < 4; t++) {
      setGrads(ps, t);
      opt.step();
    }
    const bytes = await saveAny(ctx, { params: ps, optim: opt.stateDict() });
    const ck = torch.load(bytes, { backend: ref });
    expect(ck.params[0].backend).toBe(ref);
    for (let k = 0; k < ps.length; k++) expect(await values(ck.params[k])).toEqual(await values(ps[k]!));
    torch.setBackend(ref);
    const opt2 = new torch.optim.Adam(ck.params, { lr: 0.05 });
    opt2.loadStateDict(ck.optim);
    for (let t = 4; t < 8; t++) {
      setGrads(ck.params, t);
      opt2.step();
    }
    torch.setBackend(ctx.backend());
    for (let t = 4; t < 8; t++) {
      setGrads(ps, t);
      opt.step();
    }
    for (let k = 0; k < ps.length; k++) {
      expectClose(await values(ck.params[k]), await values(ps[k]!), { rtol: 1e-5, atol: 1e-6 }, `param ${k}`);
    }
  });

  it('LBFGS state (arrays of tensors) round-trips through torch.save', async () => {
    const x = torch.tensor([-1.2, 1, 0.5], { requiresGrad: true });
    const opt = new torch.optim.LBFGS([x], { maxIter: 3 });
    const f = () => {
      opt.zeroGrad();
      const l = x
        .square()
        .sum()
        .add(
          x
            .narrow(0, 0, 1)
            .mul(x.narrow(0, 1, 1))
            .sum(),
        );
      l.backward();
      return l;
    };
    await opt.step(f);
    await opt.step(f);
    const ck = torch.load(await saveAny(ctx, opt.stateDict()));
    expect(ck.state[0].oldDirs.length).toBe(opt.state.get(x)!.oldDirs.length);
    const opt2 = new torch.optim.LBFGS([x], { maxIter: 3 });
    opt2.loadStateDict(ck);
    expect(opt2.state.get(x)!.nIter).toBe(opt.state.get(x)!.nIter);
  });

  it('@stepwise/core/node: saveFile is atomic, loadFile reads it back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepwise-ckpt-'));
    try {
      const path = join(dir, 'model.ckpt');
      const w = torch.tensor([1, 2, 3]);
      await saveFile(path, { w, step: 7 });
      const back = await loadFile(path);
      expect(await values(back.w)).toEqual([1, 2, 3]);
      expect(back.step).toBe(7);
      await saveFile(path, { w: torch.tensor([4]), step: 8 });
      expect((await loadFile(path)).step).toBe(8);
      const before = readFileSync(path);
      await expect(saveFile(path, { bad: new Map() })).rejects.toThrow(/Map/);
      expect(readFileSync(path).equals(before)).toBe(true);
      expect(readdirSync(dir)).toEqual(['model.ckpt']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('@stepwise/core/node: a save killed mid-write leaves a temporary that the next save removes', async () => {
    // The child runs the built @stepwise/core/node (plain Node cannot import the sources),
    // stops inside the write and is killed there with SIGKILL, as a crash would.
    // (Under vitest the package resolves to its sources; the child takes the build beside them.)
    const resolved = createRequire(import.meta.url).resolve('@stepwise/core/node');
    const nodeEntry = pathToFileURL(resolved.replace(/[\\/]src[\\/]node\.ts$/, '/dist/node.js')).href;
    const dir = mkdtempSync(join(tmpdir(), 'stepwise-kill-'));
    const target = join(dir, 'model.ckpt');
    const tag = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
    const script = `
      import { open } from 'node:fs/promises';
      const { saveFile } = await import(${JSON.stringify(nodeEntry)});
      const probe = await open(process.execPath, 'r');
      const proto = Object.getPrototypeOf(probe);
      await probe.close();
      const write = proto.writeFile;
      proto.writeFile = async function (data) {
        await write.call(this, data.subarray(0, data.length >> 1));
        process.stdout.write('mid-write\\n');
        setInterval(() => {}, 1000);
        await new Promise(() => {});
      };
      await saveFile(${JSON.stringify(target)}, { blob: 'x'.repeat(1 << 16), step: 1 });
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d) => String(d).includes('mid-write') && resolve());
        child.on('exit', () => reject(new Error(`the child exited before writing: ${err}`)));
      });
      const temps = () => readdirSync(dir).filter((f) => f.endsWith('.tmp'));
      expect(temps(), 'the child is mid-write').toHaveLength(1);
      expect(temps()[0]).toMatch(
        new RegExp(`^\\.model\\.ckpt\\.${tag}\\.${child.pid}\\.[0-9a-f]{12}\\.tmp$`),
      );
      // A live writer's temporary is kept.
      await saveFile(target, { step: 2 });
      expect(temps(), 'a live process is still writing it').toHaveLength(1);
      child.kill('SIGKILL');
      await exited;
      // Files that are not provably ours and stale stay: another target's, another host's
      // (pid not checkable here) when fresh, a name outside the pattern; an old one goes.
      const dead = await deadPid();
      const keep = [
        `.other.ckpt.${tag}.${dead}.0123456789ab.tmp`,
        `.model.ckpt.ffffffff.${dead}.0123456789ab.tmp`,
        `.model.ckpt.${tag}.${dead}.notours.tmp`,
        'model.ckpt.tmp',
      ];
      const old = `.model.ckpt.ffffffff.${process.ppid}.0123456789ab.tmp`;
      for (const f of [...keep, old]) writeFileSync(join(dir, f), 'x');
      const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
      utimesSync(join(dir, old), twoDaysAgo, twoDaysAgo);
      await saveFile(target, { step: 3 });
      expect(readdirSync(dir).sort()).toEqual(['model.ckpt', ...keep].sort());
      expect((await loadFile(target)).step).toBe(3);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('malformed, truncated and hostile input', () => {
    it('every truncation of a checkpoint is a CheckpointError', async () => {
      const bytes = await saveAny(ctx, { w: torch.tensor([1, 2, 3]), s: 'x' });
      for (let n = 0; n < bytes.length; n++) expectCheckpointError(() => torch.load(bytes.subarray(0, n)));
    });

    it('bad magic, newer version, lying header length', async () => {
      const good = await saveAny(ctx, { w: torch.tensor([1, 2]) });
      const bad = good.slice();
      bad[0] = 0x58;
      expectCheckpointError(() => torch.load(bad), /magic/);
      const newer = good.slice();
      new DataView(newer.buffer).setUint32(8, 2, true);
      expectCheckpointError(() => torch.load(newer), /newer/);
      const long = good.slice();
      new DataView(long.buffer).setUint32(12, 0xffffffff, true);
      expectCheckpointError(() => torch.load(long), /past the end/);
      expectCheckpointError(() => torch.load('STEPWISE' as any));
    });

    it('tensor entries outside the data, huge shapes, wrong sizes, bad dtypes', async () => {
      const h = headerOf(await saveAny(ctx, { w: torch.tensor([1, 2]) })).json;
      const data = new Uint8Array(8);
      const entry = h.tensors[0];
      const cases: [unknown, RegExp][] = [
        [{ ...entry, offset: 4 }, /outside/],
        [{ ...entry, offset: -8 }, /outside/],
        [{ ...entry, shape: [2 ** 20, 2 ** 20], bytes: 2 ** 42 }, /2\^31/],
        [{ ...entry, shape: [1e9], bytes: 4e9 }, /outside/],
        [{ ...entry, bytes: 4 }, /needs 8/],
        [{ ...entry, dtype: 'float16' }, /dtype/],
        [{ ...entry, shape: [-2] }, /invalid size/],
        [{ ...entry, shape: 'big' }, /shape/],
      ];
      for (const [e, re] of cases)
        expectCheckpointError(() => torch.load(withHeader({ ...h, tensors: [e] }, data)), re);
      expectCheckpointError(() => torch.load(withHeader({ ...h, root: { $tensor: 5 } }, data)), /tensor 5/);
      expectCheckpointError(
        () => torch.load(withHeader({ ...h, root: { $eval: 'x' } }, data)),
        /unknown tag/,
      );
      expectCheckpointError(
        () => torch.load(withHeader({ ...h, root: { a: 1 } }, data)),
        /unknown tag|untagged/,
      );
      expectCheckpointError(() => torch.load(withHeader({ tensors: [] }, data)), /root/);
    });

    it('entries aliasing one byte range are refused, so a load allocates no more than its input', async () => {
      const h = headerOf(await saveAny(ctx, { w: torch.tensor([1, 2]) })).json;
      const data = new Uint8Array(1024);
      const alias = { dtype: 'float32', shape: [256], offset: 0, bytes: 1024 };
      const many = Array.from({ length: 64 }, () => alias);
      const root = { $object: Object.fromEntries(many.map((_e, i) => [`t${i}`, { $tensor: i }])) };
      const before = liveOf(ctx);
      expectCheckpointError(
        () => torch.load(withHeader({ ...h, tensors: many, root }, data)),
        /tensors\[1\].*overlaps tensors\[0\]/,
      );
      // Partial overlap too; touching ranges and empty tensors at the same offset are fine.
      const two = (a: number, b: number, n = 2) => ({
        tensors: [
          { dtype: 'float32', shape: [2], offset: a, bytes: 8 },
          { dtype: 'float32', shape: [n], offset: b, bytes: 4 * n },
        ],
        root: [{ $tensor: 0 }, { $tensor: 1 }],
      });
      expectCheckpointError(() => torch.load(withHeader(two(0, 4), data)), /overlaps/);
      expectCheckpointError(() => torch.load(withHeader(two(4, 0), data)), /overlaps/);
      expect(liveOf(ctx)).toEqual(before);
      const ok = torch.load(withHeader(two(0, 8), data));
      expect(await values(ok[1])).toEqual([0, 0]);
      const empty = torch.load(withHeader(two(0, 0, 0), data));
      expect([...empty[1].shape]).toEqual([0]);
    });

    it('requiresGrad on a non-float entry is a CheckpointError, and nothing is allocated', async () => {
      const good = { dtype: 'float32', shape: [2], offset: 0, bytes: 8, requiresGrad: true };
      const cases: [unknown, RegExp][] = [
        [
          { dtype: 'int32', shape: [2], offset: 8, bytes: 8, requiresGrad: true },
          /tensors\[1\].*int32.*requiresGrad/,
        ],
        [
          { dtype: 'bool', shape: [2], offset: 8, bytes: 2, requiresGrad: true },
          /tensors\[1\].*bool.*requiresGrad/,
        ],
        [
          { dtype: 'float32', shape: [2], offset: 8, bytes: 8, requiresGrad: 'yes' },
          /requiresGrad must be a boolean/,
        ],
      ];
      const before = liveOf(ctx);
      for (const [bad, re] of cases) {
        const h = { tensors: [good, bad], root: [{ $tensor: 0 }, { $tensor: 1 }] };
        expectCheckpointError(() => torch.load(withHeader(h, new Uint8Array(16))), re);
        expect(liveOf(ctx), JSON.stringify(bad)).toEqual(before);
      }
    });

    it('prototype keys are refused and nothing is polluted', () => {
      const hostile = ['__proto__', 'constructor', 'prototype'];
      for (const k of hostile) {
        const json = `{"tensors":[],"root":{"$object":{"${k}":{"$object":{"polluted":true}}}}}`;
        const h = JSON.parse(json);
        expectCheckpointError(() => torch.load(withHeader(h)), new RegExp(k));
      }
      expect(({} as any).polluted).toBeUndefined();
      expect((Object.prototype as any).polluted).toBeUndefined();
    });

    it('deep nesting is an error, not a stack overflow', () => {
      let root: unknown = 1;
      for (let i = 0; i < 300; i++) root = [root];
      expectCheckpointError(() => torch.load(withHeader({ tensors: [], root })), /deeper/);
      const bomb = new TextEncoder().encode(`${'['.repeat(200000)}${']'.repeat(200000)}`);
      const out = new Uint8Array(16 + bomb.length);
      out.set(new TextEncoder().encode('STEPWISE'));
      new DataView(out.buffer).setUint32(8, 1, true);
      new DataView(out.buffer).setUint32(12, bomb.length, true);
      out.set(bomb, 16);
      expectCheckpointError(() => torch.load(out));
    });
  });
}
