/**
 * The playground in a real browser: a Vite dev server and headless Chromium (through
 * playwright-core). Trains on each backend from the page and checks the loss went down and
 * the chart was drawn; checks that backends the browser cannot run are disabled with the
 * reason shown, that an empty or invalid lr is refused, that each optimizer starts from its
 * default lr, that the chart updates while a run trains, and that identical runs both stay
 * visible. Screenshots of those states are saved under test/out/ (gitignored) and checked
 * by decoding them (sizes, coloured pixels, pixel differences), not by eye. Needs a
 * Chromium binary (`apt-get install chromium`, or set CHROMIUM_PATH); without one the
 * suite is skipped and its title says why.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countColor, countColored, decodePng, diffFraction, type Image } from './png.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = fileURLToPath(new URL('..', import.meta.url));
const OUT = `${root}test/out`;

interface Run {
  name: string;
  backend: string;
  losses: number[];
  color: string;
  dash: readonly number[];
}

interface OptionInfo {
  value: string;
  text: string;
  disabled: boolean;
  reason: string | undefined;
}

// Without Chromium the suite is skipped on a developer's machine, never in CI (CI=true):
// .ci/run installs it, and a missing browser there must fail, not pass silently.
describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)(
  `playground in headless Chromium (skipped when ${CHROMIUM} is missing, outside CI)`,
  () => {
    let server: ViteDevServer;
    /** With WebGPU on (SwiftShader where there is no GPU). */
    let browser: Browser;
    let url: string;

    beforeAll(async () => {
      rmSync(OUT, { recursive: true, force: true });
      mkdirSync(OUT, { recursive: true });
      server = await createServer({
        root,
        configFile: `${root}/vite.config.ts`,
        logLevel: 'silent',
        // No file watching or HMR: an edit elsewhere in the tree must not reload the page mid-test.
        server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
      });
      await server.listen();
      url = server.resolvedUrls!.local[0]!;
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--enable-unsafe-webgpu'],
      });
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    async function open(b: Browser, init?: () => void): Promise<{ page: Page; errors: string[] }> {
      const page = await b.newPage({ viewport: { width: 1100, height: 1000 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      if (init) await page.addInitScript(init);
      await page.goto(url);
      await page.waitForSelector('#status[data-state="idle"]', { timeout: 60_000 });
      return { page, errors };
    }

    /** Screenshots `selector` (or a clip) to test/out/`name`.png, decodes it and checks its size. */
    async function shot(
      page: Page,
      name: string,
      target: string | { x: number; y: number; width: number; height: number },
    ): Promise<Image> {
      const clip =
        typeof target === 'string'
          ? await page.$eval(target, (el) => {
              const r = el.getBoundingClientRect();
              return { x: r.x, y: r.y, width: r.width, height: r.height };
            })
          : target;
      const png = await page.screenshot({ clip });
      writeFileSync(`${OUT}/${name}.png`, png);
      const img = decodePng(png);
      // Device scale factor 1: the picture is the clip's size (rounded to whole pixels).
      expect(Math.abs(img.width - clip.width), name).toBeLessThanOrEqual(1);
      expect(Math.abs(img.height - clip.height), name).toBeLessThanOrEqual(1);
      expect(img.width * img.height, name).toBeGreaterThan(100);
      return img;
    }

    const options = (page: Page) =>
      page.$$eval('#backend option', (os) =>
        (os as HTMLOptionElement[]).map((o) => ({
          value: o.value,
          text: o.textContent ?? '',
          disabled: o.disabled,
          reason: o.dataset.reason,
        })),
      ) as Promise<OptionInfo[]>;

    const runsOf = (page: Page) => page.evaluate(() => window.stepwisePlayground.runs) as Promise<Run[]>;

    async function trainOn(
      page: Page,
      backend: string,
      optimizer: string,
      steps: number,
      lr?: string,
    ): Promise<string> {
      await page.selectOption('#backend', backend);
      await page.selectOption('#optimizer', optimizer);
      if (lr !== undefined) await page.fill('#lr', lr);
      await page.fill('#steps', String(steps));
      await page.click('#train');
      await page.waitForFunction(
        () => {
          const s = document.getElementById('status')!;
          return (
            !window.stepwisePlayground.busy &&
            (s.textContent!.startsWith('done') || s.dataset.state === 'error')
          );
        },
        undefined,
        { timeout: 90_000 },
      );
      return (await page.textContent('#status')) ?? '';
    }

    it('trains on cpu-js, wasm-simd and wasm-simd with threads from the page; the loss goes down and the chart is drawn', async () => {
      const { page, errors } = await open(browser);
      const optimizers = await page.$$eval('#optimizer option', (os) =>
        os.map((o) => (o as HTMLOptionElement).value),
      );
      expect(optimizers).toContain('SGD');
      expect(optimizers).toContain('Adam');
      // The dev server sends COOP/COEP: the page is cross-origin isolated, so threads are offered.
      const unavailable = await page.evaluate(() => window.stepwisePlayground.unavailable);
      expect(unavailable).toMatchObject({ 'cpu-js': null, 'wasm-simd': null, 'wasm-simd-threads': null });
      const backends = ['cpu-js', 'wasm-simd', 'wasm-simd-threads'];
      for (const backend of backends) {
        const status = await trainOn(page, backend, 'Adam', 150, '0.01');
        expect(status, status).toMatch(/^done/);
      }
      const runs = await runsOf(page);
      expect(runs.map((r) => r.backend)).toEqual(backends);
      for (const r of runs) {
        expect(r.losses.length).toBe(150);
        expect(r.losses[149]!).toBeLessThan(r.losses[0]! * 0.2);
      }
      // Same seed, same program: every backend follows the same curve (float32 rounding apart).
      for (const r of runs.slice(1))
        expect(Math.abs(runs[0]!.losses[149]! - r.losses[149]!)).toBeLessThan(1e-3);
      // Vega draws each run's curve as one path in a line mark group.
      expect(await page.$$eval('#chart svg g.mark-line > path', (ps) => ps.length)).toBe(3);
      await shot(page, 'backends-trained', '#chart');
      expect(errors).toEqual([]);
      await page.close();
    }, 240_000);

    it('webgpu trains where an adapter is found, or is disabled with the reason (never a doubled prefix)', async () => {
      const { page } = await open(browser);
      const webgpu = (await options(page)).find((o) => o.value === 'webgpu')!;
      if (webgpu.disabled) {
        expect(webgpu.reason).toMatch(/navigator\.gpu|adapter/);
      } else {
        const status = await trainOn(page, 'webgpu', 'SGD', 50);
        expect(status).not.toMatch(/webgpu: webgpu:/);
        if (status.startsWith('done')) {
          const runs = await runsOf(page);
          expect(runs[0]!.losses[49]!).toBeLessThan(runs[0]!.losses[0]!);
        } else {
          expect(status).toMatch(/^webgpu: /);
        }
      }
      await page.close();
    }, 180_000);

    it('backends this browser cannot run are disabled, with the reason shown', async () => {
      // Chromium without --enable-unsafe-webgpu: navigator.gpu exists, but requestAdapter()
      // gives null (the case that used to offer webgpu and fail with "webgpu: webgpu: …").
      const plain = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      try {
        const { page, errors } = await open(plain);
        let opts = await options(page);
        const webgpu = opts.find((o) => o.value === 'webgpu')!;
        expect(webgpu.disabled).toBe(true);
        expect(webgpu.text).toBe('webgpu (unavailable)');
        expect(webgpu.reason).toMatch(/no GPU adapter/);
        expect(opts.filter((o) => !o.disabled).map((o) => o.value)).toEqual([
          'cpu-js',
          'wasm-simd',
          'wasm-simd-threads',
        ]);
        expect(await page.textContent('#backend-notes li[data-backend="webgpu"]')).toMatch(
          /^webgpu: unavailable — no GPU adapter: navigator\.gpu\.requestAdapter\(\) returned null$/,
        );
        await shot(page, 'controls-no-adapter', 'body > form');
        const oneReason = await shot(page, 'backends-no-adapter', '#backend-notes');
        expect(errors).toEqual([]);
        await page.close();

        // No navigator.gpu, no cross-origin isolation, no SIMD128 (stubbed before the page
        // loads): only cpu-js is left, and each of the others says why.
        const stubbed = await open(plain, () => {
          delete (Navigator.prototype as { gpu?: unknown }).gpu;
          Object.defineProperty(globalThis, 'crossOriginIsolated', { get: () => false });
          WebAssembly.validate = () => false;
        });
        opts = await options(stubbed.page);
        expect(opts.filter((o) => !o.disabled).map((o) => o.value)).toEqual(['cpu-js']);
        expect(await stubbed.page.inputValue('#backend')).toBe('cpu-js');
        const reasons = Object.fromEntries(opts.map((o) => [o.value, o.reason]));
        expect(reasons['webgpu']).toMatch(/navigator\.gpu is missing/);
        expect(reasons['wasm-simd']).toMatch(/no WebAssembly SIMD128/);
        expect(reasons['wasm-simd-threads']).toMatch(/SIMD128/);
        const notes = await stubbed.page.$$eval('#backend-notes li.unavailable', (ls) =>
          ls.map((l) => l.textContent),
        );
        expect(notes).toHaveLength(3);
        const threeReasons = await shot(stubbed.page, 'backends-stubbed', '#backend-notes');
        // The reasons are drawn (in red): three reasons paint more of it than one.
        expect(countColor(threeReasons, '#b00020', 60)).toBeGreaterThan(countColor(oneReason, '#b00020', 60));

        // Cross-origin isolation alone missing: the threaded backend names it.
        const noIsolation = await open(plain, () => {
          Object.defineProperty(globalThis, 'crossOriginIsolated', { get: () => false });
        });
        const threads = (await options(noIsolation.page)).find((o) => o.value === 'wasm-simd-threads')!;
        expect(threads.disabled).toBe(true);
        expect(threads.reason).toMatch(/cross-origin isolated/);
        await shot(noIsolation.page, 'backends-not-isolated', '#backend-notes');
        await noIsolation.page.close();

        // An adapter at startup that is gone by Train (the probe passed, creation fails): the
        // error is shown once, with one "webgpu:" prefix (it used to read "webgpu: webgpu: …").
        const lost = await open(plain, () => {
          type RequestAdapter = (...args: unknown[]) => Promise<object | null>;
          const proto = (globalThis as unknown as { GPU: { prototype: { requestAdapter: RequestAdapter } } })
            .GPU.prototype;
          const original = proto.requestAdapter;
          let calls = 0;
          proto.requestAdapter = function (this: unknown, ...args: unknown[]) {
            return calls++ === 0 ? Promise.resolve({}) : original.apply(this, args);
          };
        });
        expect((await options(lost.page)).find((o) => o.value === 'webgpu')!.disabled).toBe(false);
        const status = await trainOn(lost.page, 'webgpu', 'SGD', 10);
        expect(await lost.page.getAttribute('#status', 'data-state')).toBe('error');
        expect(status).toBe('webgpu: no GPU adapter is available (requestAdapter returned null)');
        await shot(lost.page, 'webgpu-lost-adapter', '#status');
        expect(lost.errors).toEqual([]);
        await lost.page.close();
        await stubbed.page.close();
      } finally {
        await plain.close();
      }
    }, 180_000);

    it('each optimizer starts from its default lr unless edited; an empty or invalid lr is refused', async () => {
      const { page, errors } = await open(browser);
      const lr = () => page.inputValue('#lr');
      const trainEnabled = () => page.$eval('#train', (b) => !(b as HTMLButtonElement).disabled);
      expect(await page.inputValue('#optimizer')).toBe('Adam');
      expect(await lr()).toBe('0.001');
      const defaults: Record<string, string> = {
        SGD: '0.01',
        AdamW: '0.001',
        RMSprop: '0.01',
        Adagrad: '0.01',
        Adadelta: '1',
        Adamax: '0.002',
        NAdam: '0.002',
        RAdam: '0.001',
        ASGD: '0.01',
        Rprop: '0.01',
        LBFGS: '1',
        Adam: '0.001',
      };
      for (const [name, value] of Object.entries(defaults)) {
        await page.selectOption('#optimizer', name);
        expect(await lr(), name).toBe(value);
      }
      const valid = await shot(page, 'lr-valid', 'body > form');

      // An lr the user typed stays when the optimizer changes.
      await page.fill('#lr', '0.05');
      await page.selectOption('#optimizer', 'SGD');
      expect(await lr()).toBe('0.05');
      expect(await page.textContent('#lr-message')).toBe("SGD's default: 0.01");
      expect(await trainEnabled()).toBe(true);

      // Empty, zero, negative: refused inline, Train disabled, Enter does nothing.
      for (const bad of ['', '0', '-1']) {
        await page.fill('#lr', bad);
        expect(await trainEnabled(), bad).toBe(false);
        expect(await page.getAttribute('#lr', 'aria-invalid'), bad).toBe('true');
        expect(await page.$eval('#lr-message', (m) => m.className), bad).toBe('field-error');
        expect(await page.textContent('#lr-message'), bad).toMatch(bad === '' ? /lr is empty/ : /positive/);
        await page.press('#lr', 'Enter');
      }
      await page.fill('#lr', '');
      const refused = await shot(page, 'lr-refused', 'body > form');
      expect(await runsOf(page)).toEqual([]);
      expect(await page.textContent('#status')).toBe('ready');
      // The refusal is visible: the red border and message add red pixels the valid form lacks.
      expect(countColor(refused, '#b00020', 60)).toBeGreaterThan(countColor(valid, '#b00020', 60) + 50);
      // Text that is not a number (typed: fill() refuses it for a number input).
      await page.fill('#lr', '');
      await page.type('#lr', '1e');
      expect(await trainEnabled()).toBe(false);
      // Steps are checked the same way.
      await page.fill('#lr', '0.01');
      await page.fill('#steps', '0');
      expect(await trainEnabled()).toBe(false);
      expect(await page.textContent('#steps-message')).toMatch(/whole number/);
      await page.fill('#steps', '300');
      expect(await trainEnabled()).toBe(true);

      // An empty field is nothing to keep: the next optimizer fills in its default.
      await page.fill('#lr', '');
      await page.selectOption('#optimizer', 'Adam');
      expect(await lr()).toBe('0.001');
      expect(await trainEnabled()).toBe(true);
      expect(await page.getAttribute('#lr', 'aria-invalid')).toBe('false');
      expect(errors).toEqual([]);
      await page.close();
    }, 120_000);

    it('the chart updates while training, and identical runs both stay visible', async () => {
      const { page, errors } = await open(browser);
      await page.selectOption('#backend', 'cpu-js');
      await page.selectOption('#problem', 'spiral');
      await page.selectOption('#optimizer', 'Adam');
      await page.fill('#steps', '20000');
      await page.click('#train');
      const drawnAtLeast = (n: number) =>
        page.waitForFunction((n) => window.stepwisePlayground.drawnSteps >= n, n, { timeout: 60_000 });
      const progress = () =>
        page.evaluate(() => ({
          busy: window.stepwisePlayground.busy,
          steps: window.stepwisePlayground.runs[0]?.losses.length ?? 0,
          drawnSteps: window.stepwisePlayground.drawnSteps,
          draws: window.stepwisePlayground.draws,
        }));
      await drawnAtLeast(100);
      const early = await shot(page, 'training-early', '#chart');
      const a = await progress();
      await drawnAtLeast(a.drawnSteps + 300);
      const later = await shot(page, 'training-later', '#chart');
      const b = await progress();
      // Both pictures were taken mid-run, and the chart was redrawn in between.
      expect(a.busy && b.busy).toBe(true);
      expect(b.steps).toBeLessThan(20000);
      expect(b.draws).toBeGreaterThan(a.draws);
      const changed = diffFraction(early, later);
      expect(changed, `pixels changed between the two screenshots: ${changed}`).toBeGreaterThan(0.005);
      // The page stays responsive: Stop ends the run at once, keeping its steps.
      await page.click('#stop');
      await page.waitForFunction(() => !window.stepwisePlayground.busy, undefined, { timeout: 30_000 });
      expect(await page.textContent('#status')).toMatch(/^stopped after \d+ steps/);

      // Two identical runs: the same curve twice, drawn in two styles, both in the legend.
      await page.click('#clear');
      await page.selectOption('#problem', 'mlp');
      for (let k = 0; k < 2; k++) {
        const status = await trainOn(page, 'cpu-js', 'Adam', 200, '0.01');
        expect(status).toMatch(/^done/);
      }
      const runs = await runsOf(page);
      expect(runs).toHaveLength(2);
      expect(runs[1]!.losses).toEqual(runs[0]!.losses);
      const paths = await page.$$eval('#chart svg g.mark-line > path', (ps) =>
        ps.map((p) => ({
          stroke: p.getAttribute('stroke'),
          dash: p.getAttribute('stroke-dasharray'),
          box: (() => {
            const r = p.getBoundingClientRect();
            return { x: r.x, y: r.y, width: r.width, height: r.height };
          })(),
        })),
      );
      expect(paths).toHaveLength(2);
      expect(paths.map((p) => p.stroke)).toEqual([runs[0]!.color, runs[1]!.color]);
      expect(new Set(paths.map((p) => `${p.stroke} ${p.dash}`)).size).toBe(2);
      expect(paths[0]!.dash ?? '1,0').not.toBe(paths[1]!.dash);
      // Same data, same place.
      expect(paths[1]!.box).toEqual(paths[0]!.box);
      const legend = await page.$$eval('#chart svg .role-legend-label text', (ts) =>
        ts.map((t) => t.textContent),
      );
      expect(legend).toEqual(runs.map((r) => r.name));
      // In the plot itself (the legend left out) both colours show: the second, dashed
      // curve lies on the first, whose colour shows through the gaps.
      const box = paths[0]!.box;
      const plot = await shot(page, 'identical-runs-plot', {
        x: Math.floor(box.x) - 2,
        y: Math.floor(box.y) - 2,
        width: Math.ceil(box.width) + 4,
        height: Math.ceil(box.height) + 4,
      });
      const first = countColor(plot, runs[0]!.color);
      const second = countColor(plot, runs[1]!.color);
      expect(first, `pixels of the first run's colour: ${first}`).toBeGreaterThan(40);
      expect(second, `pixels of the second run's colour: ${second}`).toBeGreaterThan(40);
      const whole = await shot(page, 'identical-runs', '#chart');
      expect(countColored(whole)).toBeGreaterThan(first + second);
      expect(errors).toEqual([]);
      await page.close();
    }, 180_000);
  },
);
