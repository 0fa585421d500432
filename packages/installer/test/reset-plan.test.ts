// What kha reset decides to undo, from its state file or an older kha's manifest.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resetPlan } from '../src/reset.js';
import { type JoinRecord, readState, withJoin, writeState } from '../src/state.js';

function dirs() {
  const dir = mkdtempSync(join(tmpdir(), 'kha-reset-'));
  const paths = {
    manifestDir: join(dir, 'manifests'),
    hostsFile: join(dir, 'hosts'),
    modulesLoadDir: join(dir, 'modules-load.d'),
    sysctlDir: join(dir, 'sysctl.d'),
    stateDir: join(dir, 'state'),
  };
  mkdirSync(paths.manifestDir);
  return paths;
}

const record = (vip: string): JoinRecord => ({
  vip,
  careArgs: ['--vs', vip, '--rs', '192.168.0.2:6443'],
  hostsFile: '/etc/hosts',
  manifestPath: '/etc/kubernetes/manifests/kube-lvscare.yaml',
  modulesLoadDir: '/etc/modules-load.d',
  sysctlDir: '/etc/sysctl.d',
  kha: 'test',
  at: 'now',
});

test('nothing recorded and no manifest: reset says it cannot know what to undo', async () => {
  const p = dirs();
  const plan = await resetPlan(p, p.stateDir);
  assert.equal(plan.kind, 'unknown');
  assert.match((plan as { why: string }).why, /cannot know what to undo/);
});

test('the recorded join is undone, whatever the manifest says now', async () => {
  const p = dirs();
  await writeState(p.stateDir, withJoin(undefined, record('10.103.97.2:6443')));
  writeFileSync(
    join(p.manifestDir, 'kube-lvscare.yaml'),
    'spec:\n  containers:\n  - args: [care, --vs, 10.9.9.9:6443]\n',
  );
  const plan = await resetPlan(p, p.stateDir);
  assert.equal(plan.kind, 'records');
  assert.deepEqual(
    (plan as { joins: JoinRecord[] }).joins.map((j) => j.vip),
    ['10.103.97.2:6443'],
  );
});

test('no state but an older kha manifest: undone from the manifest, said so', async () => {
  const p = dirs();
  writeFileSync(
    join(p.manifestDir, 'kube-lvscare.yaml'),
    'spec:\n  containers:\n  - args: [care, --vs, 10.9.9.9:6443, --health-ca-file, /ca.crt, --mode, link]\n',
  );
  const plan = await resetPlan(p, p.stateDir);
  assert.equal(plan.kind, 'records');
  const { joins, note } = plan as { joins: JoinRecord[]; note: string };
  assert.deepEqual(joins[0]!.careArgs, ['--vs', '10.9.9.9:6443', '--mode', 'link']);
  assert.match(note, /no join recorded/);
});

test('a completed reset is recorded, so a second one has nothing to do', async () => {
  const p = dirs();
  await writeState(p.stateDir, { version: 1, status: 'reset', joins: [] });
  assert.deepEqual(await resetPlan(p, p.stateDir), { kind: 'done' });
});

test('joining a second VIP keeps the first on record; joining one again replaces its record', async () => {
  const a = withJoin(undefined, record('10.103.97.2:6443'));
  const b = withJoin(a, record('10.103.97.3:6443'));
  const c = withJoin(b, { ...record('10.103.97.2:6443'), at: 'later' });
  assert.deepEqual(
    c.joins.map((j) => [j.vip, j.at]),
    [
      ['10.103.97.3:6443', 'now'],
      ['10.103.97.2:6443', 'later'],
    ],
  );
  const p = dirs();
  writeFileSync(join(p.manifestDir, 'x'), '');
  mkdirSync(p.stateDir);
  writeFileSync(join(p.stateDir, 'state.json'), '{not json');
  await assert.rejects(readState(p.stateDir), /not kha's state/);
});
