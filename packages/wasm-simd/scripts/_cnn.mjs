import * as torch from '@stepwise/core';
import { cpuJs } from '@stepwise/cpu-js';
import { wasmSimd } from '../dist/index.js';

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
for (const b of [await wasmSimd({ initialMemoryMB: 512 }), cpuJs()]) {
  torch.setBackend(b);
  const { nn } = torch;
  const model = new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(32 * 7 * 7, 10),
  );
  const opt = new torch.optim.Adam(model.parameters(), { lr: 1e-3 });
  const lossFn = new nn.CrossEntropyLoss();
  const x = torch.randn([64, 1, 28, 28]);
  const y = torch.tensor(
    Array.from({ length: 64 }, (_, i) => i % 10),
    { dtype: 'int32' },
  );
  const step = () =>
    torch.tidy(() => {
      const loss = lossFn.forward(model.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
  for (let i = 0; i < 3; i++) step();
  const times = new Map();
  for (const k of Object.getOwnPropertyNames(Object.getPrototypeOf(b))) {
    const f = b[k];
    if (typeof f !== 'function' || k === 'constructor') continue;
    b[k] = function (...a) {
      const t0 = cpuMs();
      const r = f.apply(this, a);
      const e = times.get(k) ?? [0, 0];
      e[0] += cpuMs() - t0;
      e[1]++;
      times.set(k, e);
      return r;
    };
  }
  const t0 = cpuMs();
  for (let i = 0; i < 10; i++) step();
  const ms = (cpuMs() - t0) / 10;
  console.log(b.name, ms.toFixed(2), 'ms/step');
  for (const [k, [t, c]] of [...times].sort((a, b) => b[1][0] - a[1][0]).slice(0, 8))
    console.log('   ', k.padEnd(22), (t / 10).toFixed(3), c / 10);
}
