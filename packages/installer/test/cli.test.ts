// Bad input to kha: one line naming what is wrong, exit 2, nothing written. These all stop
// before preflight, so they need neither root nor IPVS.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const kha = fileURLToPath(new URL('../../bin/kha.js', import.meta.url));

function sandbox() {
  const dir = mkdtempSync(join(tmpdir(), 'kha-cli-'));
  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, '127.0.0.1 localhost\n');
  mkdirSync(join(dir, 'manifests'));
  const flags = [
    '--hosts-file',
    hosts,
    '--manifest-dir',
    join(dir, 'manifests'),
    '--modules-load-dir',
    join(dir, 'modules-load.d'),
    '--sysctl-dir',
    join(dir, 'sysctl.d'),
    '--state-dir',
    join(dir, 'state'),
  ];
  const snapshot = () => ({
    files: readdirSync(dir, { recursive: true }),
    hosts: readFileSync(hosts, 'utf8'),
  });
  return { dir, flags, snapshot };
}

const cases: Array<[string, (dir: string) => string[], RegExp]> = [
  ['an unknown flag', () => ['--master', '192.168.0.2', '--bogus'], /Unknown argument: bogus/],
  ['a bad master address', () => ['--master', '192.168.0.300'], /--master "192\.168\.0\.300"/],
  [
    'a backwards range',
    () => ['--master', '192.168.0.4-192.168.0.2'],
    /--master "192\.168\.0\.4-192\.168\.0\.2"/,
  ],
  [
    'the VIP equal to a master',
    () => ['--master', '10.103.97.2'],
    /--vip "10\.103\.97\.2": is the master/,
  ],
  ['a bad VIP', () => ['--master', '192.168.0.2', '--vip', '10.103.97'], /--vip "10\.103\.97"/],
  [
    'an unwritable manifest dir',
    (dir) => {
      writeFileSync(join(dir, 'not-a-dir'), '');
      return ['--master', '192.168.0.2', '--manifest-dir', join(dir, 'not-a-dir', 'manifests')];
    },
    /--manifest-dir ".*": .*not-a-dir is not a directory/,
  ],
  [
    'a bad lvscare flag',
    () => ['--master', '192.168.0.2', '--lvscare-arg=--scheduler=fastest'],
    /--lvscare-arg: --scheduler "fastest"/,
  ],
  ['no master', () => [], /--master is required/],
];

for (const [what, args, message] of cases) {
  test(`kha join with ${what}: one line, exit 2, nothing written`, () => {
    const { dir, flags, snapshot } = sandbox();
    const before = snapshot();
    const r = spawnSync(
      process.execPath,
      [kha, 'join', ...flags, ...args(dir), '--', '--token', 'x'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
    const after = snapshot();
    assert.deepEqual(after.hosts, before.hosts);
    assert.deepEqual(
      after.files.sort(),
      [...before.files, ...(what === 'an unwritable manifest dir' ? ['not-a-dir'] : [])].sort(),
    );
  });
}
