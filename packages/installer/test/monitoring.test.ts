// The shipped monitoring files (manifests/monitoring): the alert rules pass promtool and their
// promtool unit tests, the PrometheusRule carries exactly the plain rules file, every alert is
// documented and tested, the PodMonitor and the plain scrape job find the pod `kha join` writes,
// and the dashboard's queries parse.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { podSettings } from '../src/settings.js';
import { staticPod } from '../src/static-pod.js';

const EXAMPLE_IMAGE = 'registry.example.com/kha/lvscare:0.1.0';

const repo = (path: string): string =>
  fileURLToPath(new URL(`../../../../${path}`, import.meta.url));
/** A YAML file of the repository, as the shape the test reads of it (what it asserts on). */
const load = <T>(path: string): T => yaml.load(readFileSync(repo(path), 'utf8')) as T;
const RULES = 'manifests/monitoring/lvscare-rules.yaml';
const SUITE = 'manifests/monitoring/tests/lvscare-rules.test.yaml';

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleGroups {
  groups: Array<{ rules: AlertRule[] }>;
}
const alerts = (): AlertRule[] => load<RuleGroups>(RULES).groups.flatMap((g) => g.rules);

/** promtool from Debian's prometheus package (test/provision-tools.sh); its absence is a failure. */
function promtool(...args: string[]): string {
  const bin = repo('.cache/tools/promtool');
  assert.ok(existsSync(bin), `${bin} is missing: run bash test/provision-tools.sh`);
  const r = spawnSync(bin, args, { encoding: 'utf8', cwd: repo('.') });
  assert.equal(r.status, 0, `promtool ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

test('promtool check rules accepts the rules file', () => {
  assert.match(
    promtool('check', 'rules', RULES),
    new RegExp(`SUCCESS: ${alerts().length} rules found`),
  );
});

test('promtool test rules: every alert fires on its series and stays silent on the others', () => {
  assert.match(promtool('test', 'rules', SUITE), /SUCCESS/);
});

test('the promtool suite covers every alert, both firing and silent', () => {
  const suite = load<{
    tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
  }>(SUITE);
  const cases = suite.tests.flatMap((t) => t.alert_rule_test ?? []);
  for (const { alert } of alerts()) {
    const mine = cases.filter((c) => c.alertname === alert);
    assert.ok(
      mine.some((c) => (c.exp_alerts ?? []).length > 0),
      `${alert}: no case where it fires`,
    );
    assert.ok(
      mine.some((c) => (c.exp_alerts ?? []).length === 0),
      `${alert}: no silent case`,
    );
  }
});

test('the PrometheusRule carries exactly the groups of the plain rules file', () => {
  const rule = load<{ apiVersion: string; kind: string; spec: RuleGroups }>(
    'manifests/monitoring/lvscare-prometheusrule.yaml',
  );
  assert.equal(rule.apiVersion, 'monitoring.coreos.com/v1');
  assert.equal(rule.kind, 'PrometheusRule');
  assert.deepEqual(
    rule.spec.groups,
    load<RuleGroups>(RULES).groups,
    `lvscare-prometheusrule.yaml and ${RULES} differ: edit both alike`,
  );
});

test('the required alerts exist, each with a severity, a summary, a description and a runbook section', () => {
  const names = alerts().map((a) => a.alert);
  for (const need of [
    'LvscareMasterDown',
    'LvscareFailOpen',
    'LvscareNotReconciling',
    'LvscareRepairStorm',
    'LvscareDown',
    'LvscareAbsent',
  ])
    assert.ok(names.includes(need), `missing alert ${need}`);
  const readme = readFileSync(repo('README.md'), 'utf8');
  const at = readme.indexOf('\n## Alerts runbook\n');
  assert.ok(at >= 0, 'README has no "## Alerts runbook" section');
  const runbook = readme.slice(at);
  for (const a of alerts()) {
    assert.match(a.labels?.severity ?? '', /^(warning|critical)$/, `${a.alert}: severity`);
    assert.ok(a.annotations?.summary, `${a.alert}: summary`);
    assert.ok(a.annotations?.description, `${a.alert}: description`);
    assert.equal(a.annotations?.runbook_url, `README.md#${a.alert.toLowerCase()}`);
    assert.match(runbook, new RegExp(`^### ${a.alert}$`, 'm'), `README runbook: no ### ${a.alert}`);
  }
});

test('the PodMonitor selects the static pod by its labels and scrapes its port `metrics`', async () => {
  const monitor = load<{
    kind: string;
    spec: {
      jobLabel: string;
      namespaceSelector: { matchNames: string[] };
      selector: { matchLabels: Record<string, string> };
      podMetricsEndpoints: Array<{ port: string }>;
    };
  }>('manifests/monitoring/lvscare-podmonitor.yaml');
  assert.equal(monitor.kind, 'PodMonitor');
  const pod = staticPod(await podSettings({ image: EXAMPLE_IMAGE, master: ['192.168.0.2'] }));
  const labels: Record<string, string> = pod.metadata.labels;
  assert.deepEqual(monitor.spec.namespaceSelector.matchNames, [pod.metadata.namespace]);
  for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels))
    assert.equal(labels[k], v, `pod label ${k}`);
  const ports = pod.spec.containers[0]!.ports.map((p) => p.name);
  for (const e of monitor.spec.podMetricsEndpoints) assert.ok(ports.includes(e.port), e.port);
  // The job the alerts' up{job=...} name comes from the pod label the PodMonitor names.
  const job = labels[monitor.spec.jobLabel];
  for (const a of alerts().filter((r) => /\bup\{/.test(r.expr)))
    assert.ok(a.expr.includes(`job="${job}"`), `${a.alert}: ${a.expr} is not about job ${job}`);
});

test('the plain Prometheus example keeps the static pod and its port, and passes promtool', async () => {
  interface ScrapeConfig {
    job_name: string;
    kubernetes_sd_configs?: unknown[];
    relabel_configs: Array<{ action?: string; regex?: string }>;
  }
  const config = load<{ rule_files: string[]; scrape_configs: ScrapeConfig[] }>(
    'manifests/monitoring/prometheus.yaml',
  );
  const job = config.scrape_configs.find((j) => j.job_name === 'kube-lvscare');
  assert.ok(job, 'no job kube-lvscare');
  const pod = staticPod(await podSettings({ image: EXAMPLE_IMAGE, master: ['192.168.0.2'] }));
  assert.deepEqual(job.kubernetes_sd_configs, [
    { role: 'pod', namespaces: { names: [pod.metadata.namespace] } },
  ]);
  const keep = job.relabel_configs.find((r) => r.action === 'keep');
  const seen = `${pod.metadata.labels.component};${pod.spec.containers[0]!.ports[0]!.name}`;
  assert.match(seen, new RegExp(`^(?:${keep?.regex})$`), 'the keep rule selects the pod');
  // Debian's promtool knows no kubernetes_sd_configs: check the rest with a static target.
  const { kubernetes_sd_configs: _, ...rest } = job;
  const checkable = {
    ...config,
    rule_files: config.rule_files.map((f) => repo(`manifests/monitoring/${f}`)),
    scrape_configs: [{ ...rest, static_configs: [{ targets: ['192.168.0.10:9299'] }] }],
  };
  const dir = mkdtempSync(join(tmpdir(), 'kha-prom-'));
  try {
    writeFileSync(join(dir, 'prometheus.yml'), yaml.dump(checkable));
    assert.match(promtool('check', 'config', join(dir, 'prometheus.yml')), /SUCCESS/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the Grafana dashboard: every panel queries Prometheus through the data source variable, in valid PromQL', () => {
  interface Panel {
    id: number;
    type: string;
    title: string;
    gridPos: { x: number; w: number };
    datasource: { uid: string };
    targets: Array<{ datasource: { uid: string }; expr: string }>;
  }
  const dashboard = JSON.parse(
    readFileSync(repo('manifests/monitoring/lvscare-dashboard.json'), 'utf8'),
  ) as {
    templating: { list: Array<{ name: string; type: string; allValue?: string }> };
    panels: Panel[];
  };
  const vars = dashboard.templating.list;
  assert.ok(vars.some((v) => v.name === 'datasource' && v.type === 'datasource'));
  const panels = dashboard.panels.filter((p) => p.type !== 'row');
  const ids = dashboard.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  const exprs: string[] = [];
  for (const p of panels) {
    assert.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title}: inside the grid`);
    assert.equal(p.datasource.uid, '${datasource}', `${p.title}: data source`);
    assert.ok(p.targets.length > 0, `${p.title}: no query`);
    for (const t of p.targets) {
      assert.equal(t.datasource.uid, '${datasource}', `${p.title}: query data source`);
      exprs.push(t.expr);
    }
  }
  // Grafana's variables filled as Grafana would, then each query checked by promtool's parser
  // as a recording rule. (The kernel tier runs them against a live Prometheus.)
  const fill = new Map([['__rate_interval', '1m']]);
  for (const v of vars) if (v.allValue) fill.set(v.name, v.allValue);
  const rules = exprs.map((e, i) => ({
    record: `dashboard:query_${i}`,
    expr: e.replace(/\$(\w+)/g, (whole, name: string) => fill.get(name) ?? whole),
  }));
  for (const r of rules) assert.doesNotMatch(r.expr, /\$/, `unfilled variable in ${r.expr}`);
  const dir = mkdtempSync(join(tmpdir(), 'kha-dashboard-'));
  try {
    writeFileSync(join(dir, 'queries.yaml'), yaml.dump({ groups: [{ name: 'dashboard', rules }] }));
    assert.match(
      promtool('check', 'rules', join(dir, 'queries.yaml')),
      new RegExp(`SUCCESS: ${rules.length} rules found`),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
