/** Constructor validation: each refusal with PyTorch's message. */

import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { thrown } from '../util.js';

export function registerConstructorErrorTests(): void {
  describe('constructor validation (PyTorch messages)', () => {
    const p = () => [torch.zeros([2, 2], { requiresGrad: true })];
    const cases: [string, () => unknown, RegExp][] = [
      ['SGD lr', () => new torch.optim.SGD(p(), { lr: -1 }), /Invalid learning rate: -1/],
      ['SGD momentum', () => new torch.optim.SGD(p(), { momentum: -0.5 }), /Invalid momentum value: -0.5/],
      [
        'SGD weight decay',
        () => new torch.optim.SGD(p(), { weightDecay: -1 }),
        /Invalid weight_decay value: -1/,
      ],
      [
        'SGD nesterov',
        () => new torch.optim.SGD(p(), { nesterov: true }),
        /Nesterov momentum requires a momentum and zero dampening/,
      ],
      ['Adam eps', () => new torch.optim.Adam(p(), { eps: -1 }), /Invalid epsilon value: -1/],
      [
        'Adam beta0',
        () => new torch.optim.Adam(p(), { betas: [1, 0.9] }),
        /Invalid beta parameter at index 0: 1/,
      ],
      [
        'Adam beta1',
        () => new torch.optim.Adam(p(), { betas: [0.9, 1] }),
        /Invalid beta parameter at index 1: 1/,
      ],
      ['Adadelta rho', () => new torch.optim.Adadelta(p(), { rho: 1.1 }), /Invalid rho value: 1.1/],
      [
        'Adagrad lr decay',
        () => new torch.optim.Adagrad(p(), { lrDecay: -0.5 }),
        /Invalid lr_decay value: -0.5/,
      ],
      [
        'NAdam momentum decay',
        () => new torch.optim.NAdam(p(), { momentumDecay: -0.2 }),
        /Invalid momentum_decay value: -0.2/,
      ],
      ['Rprop etas', () => new torch.optim.Rprop(p(), { etas: [1.0, 0.5] }), /Invalid eta values: 1, 0.5/],
      ['RMSprop alpha', () => new torch.optim.RMSprop(p(), { alpha: -1 }), /Invalid alpha value: -1/],
      [
        'Muon 1-D',
        () => new torch.optim.Muon([torch.zeros([3], { requiresGrad: true })]),
        /Muon only supports 2D parameters/,
      ],
      [
        'Adafactor d',
        () => new torch.optim.Adafactor(p(), { d: 0.5 }),
        /Clipping threshold d should be >= 1/,
      ],
      [
        'unknown option',
        () => new torch.optim.Adam(p(), { weight_decay: 0.1 } as any),
        /unexpected option 'weight_decay'/,
      ],
    ];
    for (const [what, fn, re] of cases) {
      it(what, () => {
        expect(thrown(fn).message).toMatch(re);
      });
    }
  });
}
