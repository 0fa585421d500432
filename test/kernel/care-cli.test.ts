// What an operator and Prometheus see of lvscare care: its endpoints, metrics that promtool
// accepts, and exit statuses for bad input and for a node that cannot run it.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import {
  BRING_BACK_MS,
  METRICS,
  careArgs,
  masterText,
  resetKernel,
  startCare,
  stopCare,
  vip4 as vip,
  waitAllAt,
  scenarioTopology,
} from '../support/care-scenario.js';
import { savedRules } from '../support/ipvsadm.js';
import { LVSCARE_BIN, type LvscareProcess } from '../support/lvscare-process.js';
import { unloadIpvs } from '../support/modules.js';
import { attempt, run, attemptWithoutNetAdmin } from '../support/run.js';

const promtool = fileURLToPath(new URL('../../../.cache/tools/promtool', import.meta.url));
let care: LvscareProcess | undefined;
const topo = scenarioTopology(async () => {
  await stopCare(care);
});

test('/metrics passes promtool and carries per-master and per-destination figures; /healthz and /readyz answer', async () => {
  care = await startCare(
    careArgs(topo, vip),
    topo.masters.map((m) => masterText(m)),
  );
  try {
    await checkEndpoints();
  } finally {
    await stopCare(care);
    care = undefined;
  }
});

async function checkEndpoints(): Promise<void> {
  assert.ok(
    await waitAllAt(
      vip,
      topo.masters.map((m) => masterText(m)),
      1,
      BRING_BACK_MS,
    ),
  );
  await new Promise((r) => setTimeout(r, 2500));
  const text = await (await fetch(`http://${METRICS}/metrics`)).text();
  const check = attempt(promtool, ['check', 'metrics'], text);
  assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
  for (const m of topo.masters) {
    assert.match(
      text,
      new RegExp(`^lvscare_master_state\\{master="${masterText(m)}",state="up"\\} 1$`, 'm'),
    );
    assert.match(
      text,
      new RegExp(
        `^lvscare_destination_weight\\{vip="${vip.text}",destination="${masterText(m)}"\\} 1$`,
        'm',
      ),
    );
    assert.match(
      text,
      new RegExp(
        `^lvscare_probe_duration_seconds_count\\{master="${masterText(m)}",result="success"\\} [1-9]`,
        'm',
      ),
    );
  }
  for (const name of [
    'lvscare_fail_open 0',
    'lvscare_last_reconcile_success_timestamp_seconds ',
    'lvscare_build_info{',
    'lvscare_repairs_total{kind="service-missing"} 0',
    'lvscare_destination_packets_total{',
    'process_resident_memory_bytes ',
  ]) {
    assert.ok(text.includes(name), `metrics carry ${name}`);
  }
  const healthz = await fetch(`http://${METRICS}/healthz`);
  assert.equal(healthz.status, 200);
  const readyz = await fetch(`http://${METRICS}/readyz`);
  assert.equal(readyz.status, 200, await readyz.text());
}

test('bad input: one line naming the flag and value, exit 2, nothing touched', () => {
  resetKernel();
  const routesBefore = run('ip', ['route', 'show']);
  const cases: Array<[string[], RegExp]> = [
    [
      ['care', '--vs', vip.text, '--rs', '10.0.0.11:6443', '--interval', '1000h'],
      /--interval "1000h": too large/,
    ],
    [['care', '--vs', vip.text, '--rs', '10.0.0.300:6443'], /--rs "10\.0\.0\.300:6443"/],
    [
      ['care', '--vs', vip.text, '--rs', '10.0.0.11:6443', '--scheduler', 'fastest'],
      /--scheduler "fastest"/,
    ],
    [
      ['care', '--vs', vip.text, '--rs', '10.0.0.11:6443', '--interval', '1ms'],
      /--interval "1ms": too small/,
    ],
    [
      [
        'care',
        '--vs',
        vip.text,
        '--rs',
        '10.0.0.11:6443',
        '--health-ca-file',
        '/nonexistent/ca.crt',
      ],
      /--health-ca-file "\/nonexistent\/ca\.crt": cannot be read/,
    ],
    [['care', '--vs', vip.text, '--rs', '[fd00::1]:6443'], /mixed address families/],
    [
      ['care', '--vs', vip.text, '--rs', '10.0.0.11:6443', '--frobnicate'],
      /Unknown argument: frobnicate/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = attempt(LVSCARE_BIN, args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, message);
  }
  assert.deepEqual(savedRules(), [], 'no rule created');
  assert.equal(run('ip', ['route', 'show']), routesBefore, 'no route touched');
});

test('without CAP_NET_ADMIN: one line, exit 1, no stack trace', () => {
  const r = attemptWithoutNetAdmin(LVSCARE_BIN, [...careArgs(topo, vip), '--run-once']);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /needs CAP_NET_ADMIN/);
});

test('without ip_vs: one line saying to load it, exit 1', () => {
  const reload = unloadIpvs();
  try {
    const r = attempt(LVSCARE_BIN, [...careArgs(topo, vip), '--run-once']);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(
      r.stderr.trim(),
      'lvscare: IPVS is not available in this kernel: load the ip_vs module (modprobe ip_vs)',
    );
  } finally {
    reload();
  }
});
