/**
 * `pnpm start`: runs every example on one backend (cpu-js unless `--backend` says
 * otherwise) and prints where the pictures went.
 *
 *   pnpm start                       # cpu-js
 *   pnpm start --backend wasm-simd   # or webgpu
 *   pnpm start --full                # seed 004 and the Quickstart: 5 full epochs each on Fashion-MNIST
 *   pnpm start --full --epochs 1     # … or as many as --epochs says
 *   node apps/examples/dist/seed004.js --backend wasm-simd   # one example alone
 */
import { charModel } from './charModel.js';
import { epochsFromArgs, fullFromArgs } from './lib/args.js';
import { backendFromArgs, useBackend } from './lib/backend.js';
import { OUT_DIR } from './lib/output.js';
import { optimizerTour } from './optimizerTour.js';
import { quickstart } from './quickstart.js';
import { seed000 } from './seed000.js';
import { seed002 } from './seed002.js';
import { seed003 } from './seed003.js';
import { seed004 } from './seed004.js';

async function main(): Promise<void> {
  const started = performance.now();
  const name = await useBackend(backendFromArgs());
  const full = fullFromArgs();
  const epochs = epochsFromArgs();
  console.log(
    `stepwise examples on backend '${name}'${full ? ', full epochs on Fashion-MNIST' : ''} (pictures go to ${OUT_DIR})`,
  );
  const examples: [string, () => Promise<unknown>][] = [
    ['seed 000', seed000],
    ['seed 003', seed003],
    ['seed 002', seed002],
    ['seed 004', () => seed004({ full, epochs })],
    ['Quickstart', () => quickstart({ full, epochs })],
    ['optimizer tour', optimizerTour],
    ['char LSTM', charModel],
  ];
  const times: string[] = [];
  for (const [label, run] of examples) {
    const t0 = performance.now();
    await run();
    times.push(`${label} ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  }
  console.log(
    `\nall examples done in ${((performance.now() - started) / 1000).toFixed(1)}s (${times.join(', ')})`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
