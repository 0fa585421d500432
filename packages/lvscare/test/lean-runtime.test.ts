// When `care` re-executes itself under the daemon's V8 flags, and when it leaves node as it is.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { LEAN_V8_FLAGS, leanReexecFlags, runsDaemon } from '../src/lean-runtime.js';

test('started without flags on a runtime that can replace its image: the lean flags', () => {
  assert.deepEqual(leanReexecFlags({ execArgv: [], canReexec: true }), LEAN_V8_FLAGS);
});

test('node already has flags (the re-exec itself, or the operator chose): as it is', () => {
  assert.equal(leanReexecFlags({ execArgv: LEAN_V8_FLAGS, canReexec: true }), undefined);
  assert.equal(
    leanReexecFlags({ execArgv: ['--max-old-space-size=64'], canReexec: true }),
    undefined,
  );
});

test('a runtime without process.execve (Node 20): as it is, no second process', () => {
  assert.equal(leanReexecFlags({ execArgv: [], canReexec: false }), undefined);
});

test('only the daemon re-executes: care, not ipvs list, version or help', () => {
  assert.equal(runsDaemon(['care', '--vs', '10.103.97.2:6443']), true);
  assert.equal(runsDaemon(['--debug', 'care']), true);
  for (const argv of [['ipvs', 'list'], ['version'], ['--help'], [], ['carefully']])
    assert.equal(runsDaemon(argv), false, argv.join(' '));
});

test('this node takes the lean flags silently: no error, no warning on stderr', () => {
  const r = spawnSync(process.execPath, [...LEAN_V8_FLAGS, '-e', 'process.stdout.write("ok")'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'ok');
  assert.equal(r.stderr, '');
});
