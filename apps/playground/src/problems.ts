/** The problems the playground trains: each builds its data, a model and its loss. */

import type { Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';

const nn = torch.nn;

export interface Problem {
  /** Every trainable tensor. */
  params: Tensor[];
  /** The loss on the whole data set (recorded for autograd). */
  loss(): Tensor;
}

export const PROBLEMS: Record<string, { title: string; build(): Problem }> = {
  mlp: {
    title: '1-20-1 MLP on y = x² + 0.1·noise',
    build() {
      torch.manualSeed(42);
      const x = torch.linspace(-1, 1, 400).unsqueeze(1);
      const y = x.pow(2).add(torch.randn([400, 1]).mul(0.1));
      const model = new nn.Sequential(new nn.Linear(1, 20), new nn.ReLU(), new nn.Linear(20, 1));
      return { params: [...model.parameters()], loss: () => nn.functional.mseLoss(model.forward(x), y) };
    },
  },
  logistic: {
    title: 'logistic regression (seed 000)',
    build() {
      const x = torch.tensor([
        [2.5, 1.3, 6.2, 1.3, 5.4, 6, 4.3, 8.2],
        [-1.2, 2.5, 3.6, 4, 3.4, 2.3, 7.2, 3.9],
      ]).T;
      const y = torch.tensor([0, 0, 1, 0, 1, 1, 1, 1]);
      const w = torch.tensor([2, 2], { requiresGrad: true });
      const b = torch.tensor([1], { requiresGrad: true });
      return {
        params: [w, b],
        loss: () => {
          const z = x.matmul(w).add(b);
          return torch.log(torch.exp(z).add(1)).sub(y.mul(z)).sum();
        },
      };
    },
  },
  spiral: {
    title: '2-class spiral, 2-32-32-1 MLP, BCE with logits',
    build() {
      torch.manualSeed(3);
      const n = 200;
      const pts: number[][] = [];
      const labels: number[] = [];
      for (let c = 0; c < 2; c++) {
        for (let i = 0; i < n; i++) {
          const r = i / n;
          const t = ((1.75 * i) / n) * 2 * Math.PI + c * Math.PI;
          pts.push([r * Math.sin(t), r * Math.cos(t)]);
          labels.push(c);
        }
      }
      const x = torch.tensor(pts).add(torch.randn([2 * n, 2]).mul(0.02));
      const y = torch.tensor(labels).unsqueeze(1);
      const model = new nn.Sequential(
        new nn.Linear(2, 32),
        new nn.Tanh(),
        new nn.Linear(32, 32),
        new nn.Tanh(),
        new nn.Linear(32, 1),
      );
      return {
        params: [...model.parameters()],
        loss: () => nn.functional.binaryCrossEntropyWithLogits(model.forward(x), y),
      };
    },
  },
};
