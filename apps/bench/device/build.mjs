// Bundles apps/bench/device/gpubench.ts into .devbench/gpubench.mjs (webgpu/Dawn kept external).
// Run from anywhere in the repository: `node apps/bench/device/build.mjs` (prepare.sh does).
// GPUBENCH_FROM=HEAD (default): tracked sources under packages/*/src and apps/*/src are read from
// that commit (git show), not the working tree, so others' uncommitted edits do not leak in;
// GPUBENCH_FROM=worktree reads disk. The entry file itself is always read from disk.
// GPUBENCH_DIR (default .devbench, relative to the repository root) is the payload folder.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const outDir = resolve(root, process.env.GPUBENCH_DIR ?? '.devbench');
// esbuild is in the workspace only as a transitive dependency (vite's): take pnpm's copy.
const esbuildDirs = readdirSync(join(root, 'node_modules/.pnpm'))
  .filter((d) => d.startsWith('esbuild@'))
  .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
if (esbuildDirs.length === 0) throw new Error('no esbuild under node_modules/.pnpm: run pnpm install');
const { build } = createRequire(import.meta.url)(
  join(root, 'node_modules/.pnpm', esbuildDirs.at(-1), 'node_modules/esbuild'),
);

const cond = process.env.GPUBENCH_CONDITIONS ?? '@stepwise/source';
const from = process.env.GPUBENCH_FROM ?? 'HEAD';
const git = (args, opts = {}) => execFileSync('git', args, { cwd: root, ...opts });
const commit = from === 'worktree' ? 'worktree' : git(['rev-parse', from]).toString().trim();
let fromGit = 0;
let fromDisk = 0;
const gitPlugin = {
  name: 'git-head',
  setup(b) {
    b.onLoad({ filter: /\/(packages|apps)\/[^/]+\/src\/.*\.(ts|js)$/ }, (args) => {
      const rel = relative(root, args.path);
      if (rel.startsWith('..') || rel.includes('node_modules')) return undefined;
      const loader = args.path.endsWith('.ts') ? 'ts' : 'js';
      if (from !== 'worktree') {
        try {
          const contents = git(['show', `${commit}:${rel}`], {
            maxBuffer: 1 << 26,
            stdio: ['ignore', 'pipe', 'ignore'],
          }).toString();
          fromGit++;
          return { contents, loader };
        } catch {}
      }
      fromDisk++;
      return { contents: readFileSync(args.path, 'utf8'), loader };
    });
  },
};
const outfile = join(outDir, 'gpubench.mjs');
const shown = relative(root, outfile).startsWith('..') ? outfile : relative(root, outfile);
await build({
  absWorkingDir: root,
  entryPoints: [join(root, 'apps/bench/device/gpubench.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: cond ? cond.split(',') : [],
  nodePaths: [join(root, 'apps/bench/node_modules')],
  external: ['webgpu'],
  plugins: [gitPlugin],
  define: { __GPUBENCH_SOURCE__: JSON.stringify(commit) },
  banner: { js: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);" },
  logLevel: 'warning',
});
console.log(
  `built ${shown} (conditions ${cond}; sources ${commit}: ${fromGit} from git, ${fromDisk} from disk)`,
);
