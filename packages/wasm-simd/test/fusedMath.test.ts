/**
 * The fused math ops that call the kernels' scalar functions lane by lane (sin, erf,
 * atan2, ...), on one thread and split across workers (each worker instantiates the
 * program with its own kernels instance): the same values as cpu-js.
 */
import * as torch from '@stepwise/core';
import { cpuJs } from '@stepwise/cpu-js';
import { afterAll, describe, expect, it } from 'vitest';
import { wasmSimd } from '../src/index.js';

const ref = cpuJs();
const N = 200_003; // above the parallel threshold, not a multiple of the vector width

function data(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = (s / 2 ** 32) * 1.8 - 0.9;
  }
  return out;
}

const ops: [string, (a: torch.Tensor, b: torch.Tensor) => torch.Tensor][] = [
  ['sin', (a) => a.mul(7).sin()],
  ['erfinv', (a) => a.erfinv()],
  ['gelu', (a) => torch.nn.functional.gelu(a.mul(4))],
  ['atan2', (a, b) => a.atan2(b)],
  ['fmod', (a, b) => a.mul(9).fmod(b)],
  ['round', (a) => a.mul(10).round()],
];

for (const threads of [1, 3]) {
  describe(`fused math on ${threads} thread(s)`, async () => {
    const w = await wasmSimd({ threads });
    afterAll(() => w.destroy?.());
    it('runs on that many threads', () => {
      expect((w as unknown as { threads: number }).threads).toBe(threads);
    });
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [name, f] of ops) {
        it(`${name} ${dtype} matches cpu-js`, () => {
          const x = data(N, 1);
          const y = data(N, 2);
          const on = (backend: torch.Backend) =>
            f(torch.tensor(x, { backend }).to(dtype), torch.tensor(y, { backend }).to(dtype)).dataSync();
          const got = on(w);
          const want = on(ref);
          const rtol = dtype === 'float32' ? 1e-6 : 1e-14;
          for (let i = 0; i < N; i++) {
            const ok = Math.abs(got[i]! - want[i]!) <= rtol * Math.max(1, Math.abs(want[i]!));
            if (!ok) expect.fail(`${name}[${i}]: wasm-simd ${got[i]}, cpu-js ${want[i]}`);
          }
        });
      }
    }
  });
}
