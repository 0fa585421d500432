// The step runner: every plan before any change, a refusal changes nothing, the record before the
// first apply, undos last step first; and the steps reset builds from a record.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { recordedSteps } from '../src/reset.js';
import type { JoinRecord } from '../src/state.js';
import { Refusal, type Step, type StepName, applySteps, undoSteps } from '../src/step.js';

/** A step that logs what runs; its plan refuses when asked to. */
function logged(name: StepName, log: string[], refuse?: string): Step {
  return {
    name,
    title: `step ${name}`,
    plan: () => (refuse ? Promise.reject(new Refusal(refuse)) : Promise.resolve([`would ${name}`])),
    apply: () => (log.push(`apply ${name}`), Promise.resolve([`did ${name}`])),
    undoPlan: () => Promise.resolve([`would undo ${name}`]),
    undo: () => (log.push(`undo ${name}`), Promise.resolve([`undid ${name}`])),
  };
}

function run(steps: Step[], log: string[], dryRun: boolean) {
  const lines: string[] = [];
  const record = {
    plan: () => Promise.resolve(['+ the record']),
    write: () => (log.push('record'), Promise.resolve()),
  };
  return applySteps('join', steps, record, { dryRun }, (l) => lines.push(l)).then((status) => ({
    status,
    out: lines.join('\n'),
  }));
}

test('the record first, then each step in order', async () => {
  const log: string[] = [];
  const r = await run([logged('hosts', log), logged('rules', log)], log, false);
  assert.equal(r.status, 0);
  assert.deepEqual(log, ['record', 'apply hosts', 'apply rules']);
  assert.match(r.out, /^\[1\/2\] step hosts\n {2}did hosts\n\[2\/2\] step rules\n {2}did rules$/);
});

test('a refusal in any plan: nothing applied, nothing recorded, the step named, exit 1', async () => {
  const log: string[] = [];
  const r = await run([logged('hosts', log), logged('manifest', log, 'not ours')], log, false);
  assert.equal(r.status, 1);
  assert.deepEqual(log, []);
  assert.match(
    r.out,
    /\[2\/2\] step manifest\n {2}not ours\nkha join: step manifest refused; nothing was changed/,
  );
});

test('--dry-run: every plan and the record, nothing applied', async () => {
  const log: string[] = [];
  const r = await run([logged('hosts', log), logged('rules', log)], log, true);
  assert.equal(r.status, 0);
  assert.deepEqual(log, []);
  assert.match(r.out, /would hosts\n.*\n {2}would rules\nkha's record\n {2}\+ the record\ndry run/);
});

test('undos run last step first', async () => {
  const log: string[] = [];
  const steps = [logged('hosts', log), logged('rules', log), logged('manifest', log)];
  assert.equal(await undoSteps(steps, { dryRun: false }, () => {}), 0);
  assert.deepEqual(log, ['undo manifest', 'undo rules', 'undo hosts']);
  log.length = 0;
  const shown: string[] = [];
  await undoSteps(steps, { dryRun: true }, (l) => shown.push(l));
  assert.deepEqual(log, [], 'a dry run undoes nothing');
  assert.deepEqual(
    shown.filter((l) => l.startsWith('  ')),
    ['  would undo manifest', '  would undo rules', '  would undo hosts'],
  );
});

test("reset removes lvscare's discovered-masters file, also for a record of a kha that kept no steps", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kha-reset-'));
  const mastersFile = join(dir, 'lvscare', 'masters.json');
  mkdirSync(join(dir, 'lvscare'));
  writeFileSync(mastersFile, '{"version":1,"masters":["192.168.9.9:6443"],"updatedAt":"x"}\n');
  const record: JoinRecord = {
    vip: '10.103.97.2:6443',
    careArgs: [
      '--vs',
      '10.103.97.2:6443',
      '--rs',
      '192.168.0.2:6443',
      '--kubeconfig',
      '/etc/kubernetes/kubelet.conf',
      '--discover-state-file',
      mastersFile,
    ],
    hostsFile: join(dir, 'hosts'),
    manifestPath: join(dir, 'manifests', 'kube-lvscare.yaml'),
    modulesLoadDir: join(dir, 'modules-load.d'),
    sysctlDir: join(dir, 'sysctl.d'),
    kha: '0.1.0',
    at: 'then',
  };
  const options = {
    waitMs: 0,
    dryRun: false,
    stateDir: join(dir, 'state'),
    restartKubelet: false,
    force: false,
    kubeconfig: join(dir, 'kubelet.conf'),
  };
  const steps = await recordedSteps(record, options);
  assert.deepEqual(
    steps.map((s) => s.name),
    ['hosts', 'rules', 'masters-file', 'manifest'],
  );
  const masters = steps.find((s) => s.name === 'masters-file')!;
  assert.match((await masters.undoPlan()).join('\n'), /^-.*192\.168\.9\.9:6443/m);
  assert.ok(existsSync(mastersFile), 'a plan changes nothing');
  await masters.undo();
  assert.equal(existsSync(mastersFile), false);
  assert.deepEqual(await masters.undo(), ['nothing to remove'], 'a second reset has nothing to do');
});
