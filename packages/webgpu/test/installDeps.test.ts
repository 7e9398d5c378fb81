/**
 * `.ci/install-webgpu-deps.sh` (installs lavapipe for these tests) adds bookworm-backports
 * with the URIs of the machine's own bookworm entry and names no mirror host. Run here
 * against made-up apt configurations (APT_ETC), with apt-get and dpkg faked for the full run.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '../../../.ci/install-webgpu-deps.sh');
const dirs: string[] = [];

/** An /etc/apt look-alike holding `files` (paths relative to it). */
function aptEtc(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'apt-etc-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'sources.list.d'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function run(etc: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync('bash', [script, ...args], {
    env: { ...process.env, APT_ETC: etc, ...env },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const DEBIAN_SOURCES = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.invalid/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.invalid/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

describe('.ci/install-webgpu-deps.sh', () => {
  it('names no host: every URI comes from the machine', () => {
    const text = readFileSync(script, 'utf8');
    expect(text).not.toMatch(/[a-z]+:\/\/[a-z0-9.-]+/i);
  });

  it('copies the URIs and key of a deb822 bookworm entry (Debian 12 images)', () => {
    const etc = aptEtc({ 'sources.list.d/debian.sources': DEBIAN_SOURCES });
    const r = run(etc, ['--print-sources']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      'Types: deb\nURIs: http://mirror.invalid/debian\nSuites: bookworm-backports\nComponents: main\n' +
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n',
    );
  });

  it('reads the one-line format of sources.list, options included', () => {
    const etc = aptEtc({
      'sources.list': [
        '# deb http://commented.invalid/debian bookworm main',
        'deb-src http://src.invalid/debian bookworm main',
        'deb [arch=amd64 signed-by=/etc/apt/keyrings/k.gpg] https://one.invalid/debian/ bookworm main contrib',
        'deb http://one.invalid/debian-security bookworm-security main',
        '  deb http://two.invalid/debian bookworm main # a second mirror',
        '',
      ].join('\n'),
    });
    const r = run(etc, ['--print-sources']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      'Types: deb\nURIs: https://one.invalid/debian/ http://two.invalid/debian\nSuites: bookworm-backports\n' +
        'Components: main\nSigned-By: /etc/apt/keyrings/k.gpg\n',
    );
  });

  it('skips disabled stanzas, keeps several URIs and an embedded key', () => {
    const etc = aptEtc({
      'sources.list.d/a.sources':
        'Types: deb\nURIs: http://off.invalid/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n',
      'sources.list.d/b.sources': [
        'Types: deb deb-src',
        'URIs: http://x.invalid/debian',
        ' http://y.invalid/debian',
        'Suites: bookworm',
        'Components: main',
        'Signed-By:',
        ' -----BEGIN PGP PUBLIC KEY BLOCK-----',
        ' .',
        ' abc',
        ' -----END PGP PUBLIC KEY BLOCK-----',
        '',
      ].join('\n'),
    });
    const r = run(etc, ['--print-sources']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      'Types: deb\nURIs: http://x.invalid/debian http://y.invalid/debian\nSuites: bookworm-backports\n' +
        'Components: main\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n' +
        ' -----END PGP PUBLIC KEY BLOCK-----\n',
    );
  });

  it('fails, saying why, when no bookworm entry is configured', () => {
    const etc = aptEtc({ 'sources.list': 'deb http://mirror.invalid/debian trixie main\n' });
    const r = run(etc, ['--print-sources']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no enabled Debian bookworm entry/);
  });

  it('adds nothing when another source already has bookworm-backports', () => {
    const etc = aptEtc({
      'sources.list.d/debian.sources': DEBIAN_SOURCES.replace(
        'Suites: bookworm bookworm-updates',
        'Suites: bookworm bookworm-updates bookworm-backports',
      ),
    });
    const r = run(etc, ['--print-sources']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
  });

  it('rewrites a stale entry once, then changes nothing (apt-get and dpkg faked)', () => {
    const etc = aptEtc({
      'sources.list.d/debian.sources': DEBIAN_SOURCES,
      // Written by an older version with another mirror: not a source to copy, and replaced.
      'sources.list.d/backports.sources':
        'Types: deb\nURIs: http://old.invalid/debian\nSuites: bookworm-backports\nComponents: main\n',
    });
    const bin = join(etc, 'bin');
    mkdirSync(bin);
    const log = join(etc, 'apt-get.log');
    const fake = (name: string, body: string) => {
      writeFileSync(join(bin, name), `#!/usr/bin/env bash\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    fake('apt-get', `echo "$*" >> '${log}'`);
    fake('dpkg-query', 'echo 25.0.7-2~bpo12+1');
    fake('dpkg', 'exit 0');
    const env = { PATH: `${bin}:${process.env.PATH}`, SUDO: '' };
    const expected = run(etc, ['--print-sources']).stdout;
    expect(expected).toContain('URIs: http://mirror.invalid/debian\n');

    expect(run(etc, [], env).status).toBe(0);
    expect(readFileSync(join(etc, 'sources.list.d/backports.sources'), 'utf8')).toBe(expected);
    expect(readFileSync(log, 'utf8')).toBe('-o DPkg::Lock::Timeout=600 update\n');

    const again = run(etc, [], env);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/already installed/);
    expect(readFileSync(log, 'utf8')).toBe('-o DPkg::Lock::Timeout=600 update\n');
    expect(readFileSync(join(etc, 'sources.list.d/backports.sources'), 'utf8')).toBe(expected);
  });
});
