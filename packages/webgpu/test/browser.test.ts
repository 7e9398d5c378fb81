/**
 * The backend in a real browser: a Vite dev server serves test/browser/ and headless
 * Chromium (playwright-core) runs it through `navigator.gpu` (Chromium's WebGPU, on
 * SwiftShader when there is no GPU). Kernels are checked against cpu-js in the page.
 * Needs a Chromium binary (`apt-get install chromium`, or set CHROMIUM_PATH): outside CI a
 * missing one skips the suite and its title says why.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { createServer, defaultClientConditions, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = fileURLToPath(new URL('./browser', import.meta.url));

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)(
  `webgpu in headless Chromium (skipped when ${CHROMIUM} is missing, outside CI)`,
  () => {
    let server: ViteDevServer;
    let browser: Browser;

    beforeAll(async () => {
      server = await createServer({
        root,
        configFile: false,
        logLevel: 'silent',
        resolve: { conditions: ['@stepwise/source', ...defaultClientConditions] },
        esbuild: { target: 'es2022' },
        optimizeDeps: { noDiscovery: true, include: [], esbuildOptions: { target: 'es2022' } },
        server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
      });
      await server.listen();
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--enable-unsafe-webgpu'],
      });
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it('kernels agree with cpu-js and Adam trains, through navigator.gpu (or WebGPU is reported unavailable)', async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(server.resolvedUrls!.local[0]!);
      await page.waitForFunction(() => window.webgpuCheck !== undefined, undefined, { timeout: 120_000 });
      const r = (await page.evaluate(() => window.webgpuCheck))!;
      expect(errors).toEqual([]);
      expect(r.state).not.toMatch(/^error/);
      if (r.state === 'ok') {
        expect(r.failures).toEqual([]);
        expect(r.checks).toBeGreaterThan(10);
        expect(r.losses[r.losses.length - 1]!).toBeLessThan(r.losses[0]! / 4);
      } else {
        expect(r.state).toMatch(/^unavailable: webgpu/);
      }
      await page.close();
    }, 180_000);
  },
);
