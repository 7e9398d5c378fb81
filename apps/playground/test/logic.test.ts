/**
 * The page's logic in Node: every offered optimizer starts from core's default lr
 * (PyTorch's), SGD apart (the page's 0.01; PyTorch 1.13 has none); an empty or invalid lr
 * or steps value is refused; a backend's error gets its name as a prefix only once.
 */
import '@stepwise/cpu-js/register';
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { errorText } from '../src/backends.js';
import { DEFAULT_LR, defaultLr, optimizerClasses, parseLr, parseSteps } from '../src/optimizers.js';

describe('playground optimizers', () => {
  it("every offered optimizer has a default lr, equal to core's (SGD: the page's 0.01)", () => {
    const offered = optimizerClasses();
    expect(offered.map(([n]) => n)).toEqual(expect.arrayContaining(['SGD', 'Adam', 'AdamW', 'LBFGS']));
    for (const [name, Opt] of offered) {
      expect(DEFAULT_LR, name).toHaveProperty(name);
      const p = torch.zeros([2, 2], { requiresGrad: true });
      const core = (new Opt([p], {}) as unknown as { defaults: { lr: number } }).defaults.lr;
      if (name === 'SGD') expect(core).toBe(1e-3);
      else expect(defaultLr(name), name).toBe(core);
    }
    expect(defaultLr('SGD')).toBe(0.01);
    // The values the issue lists (PyTorch 1.13's defaults).
    expect(DEFAULT_LR).toMatchObject({
      Adam: 1e-3,
      AdamW: 1e-3,
      RMSprop: 1e-2,
      Adagrad: 1e-2,
      Adadelta: 1.0,
      Adamax: 2e-3,
      NAdam: 2e-3,
      RAdam: 1e-3,
      ASGD: 1e-2,
      Rprop: 1e-2,
      LBFGS: 1,
    });
  });

  it('refuses an empty, non-numeric, zero, negative or infinite lr', () => {
    expect(parseLr('0.01')).toEqual({ lr: 0.01 });
    expect(parseLr(' 1e-3 ')).toEqual({ lr: 1e-3 });
    for (const bad of ['', '  ', 'abc', '0', '-0.1', 'Infinity', 'NaN']) {
      expect(parseLr(bad), bad).toHaveProperty('error');
    }
    // A number input with unparsable text reports '' and validity.badInput.
    expect(parseLr('', true)).toEqual({ error: 'lr is not a number' });
  });

  it('refuses steps that are not a whole number from 1 to 100000', () => {
    expect(parseSteps('300')).toEqual({ steps: 300 });
    for (const bad of ['', '0', '-5', '2.5', 'x', '1e9'])
      expect(parseSteps(bad), bad).toHaveProperty('error');
  });
});

describe('playground backends', () => {
  it('an error is prefixed with its backend once, not twice', () => {
    const webgpu = { label: 'webgpu', pkg: 'webgpu' };
    expect(errorText(webgpu, new Error('webgpu: no GPU adapter is available'))).toBe(
      'webgpu: no GPU adapter is available',
    );
    expect(errorText(webgpu, new Error('device lost'))).toBe('webgpu: device lost');
    const threads = { label: 'wasm-simd, 2 threads', pkg: 'wasm-simd' };
    expect(errorText(threads, new Error('wasm-simd: out of memory'))).toBe('wasm-simd: out of memory');
    expect(errorText(threads, new Error('Invalid learning rate: -1'))).toBe(
      'wasm-simd, 2 threads: Invalid learning rate: -1',
    );
  });
});
