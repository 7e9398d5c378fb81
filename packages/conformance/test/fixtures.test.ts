/**
 * The fixtures themselves: each says which PyTorch made it and which committed script
 * regenerates it, so no expected number in this suite is typed in by hand.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url);
const dir = new URL('../fixtures/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('fixtures', () => {
  it('exist', () => {
    expect(files.length).toBeGreaterThan(10);
  });
  for (const f of files) {
    it(`${f} names its PyTorch version and a committed generator script`, () => {
      const data = JSON.parse(readFileSync(new URL(f, dir), 'utf8'));
      const meta = data.meta;
      expect(meta, 'meta').toBeTypeOf('object');
      expect(String(meta.torch), 'meta.torch').toMatch(/^1\.13/);
      const script = String(meta.generator).split(/\s/)[0]!;
      expect(script, 'meta.generator').toMatch(/^tooling\/golden\/.+\.py$/);
      expect(existsSync(new URL(script, root)), `${script} exists`).toBe(true);
    });
  }
});
