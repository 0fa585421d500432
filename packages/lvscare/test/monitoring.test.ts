// The shipped alert rules and dashboard (manifests/monitoring) against lvscare: the rules pass
// promtool and their promtool suite, which has a firing and a silent case for every alert; the
// PrometheusRule carries exactly the plain rules file; every runbook_url is one base (that a
// documented sed line replaces) plus the alert's entry in docs/monitoring.md; every lvscare
// metric a rule or a panel names is one lvscare exports; the dashboard's queries parse, through
// its data source and its `node` variable. (The kernel tier runs the queries against a live
// Prometheus scraping lvscare.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { DiscoveryMetrics } from '../src/metrics/discovery-metrics.js';
import { CareMetrics } from '../src/metrics/metrics.js';

const repo = (path: string): string =>
  fileURLToPath(new URL(`../../../../${path}`, import.meta.url));
const text = (path: string): string => readFileSync(repo(path), 'utf8');
/** A YAML file of the repository, as the shape the test reads of it. */
const load = <T>(path: string): T => yaml.load(text(path)) as T;
const RULES = 'manifests/monitoring/lvscare-rules.yaml';
const OPERATOR_RULES = 'manifests/monitoring/lvscare-prometheusrule.yaml';
const SUITE = 'manifests/monitoring/tests/lvscare-rules.test.yaml';
const DASHBOARD = 'manifests/monitoring/lvscare-dashboard.json';
const RUNBOOK = 'docs/monitoring.md';
/** What every shipped runbook_url starts with until the operator puts their own base there. */
const RUNBOOK_BASE = 'https://kha.invalid/docs/monitoring.md';

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
  const rule = load<{ apiVersion: string; kind: string; spec: RuleGroups }>(OPERATOR_RULES);
  assert.equal(rule.apiVersion, 'monitoring.coreos.com/v1');
  assert.equal(rule.kind, 'PrometheusRule');
  assert.deepEqual(
    rule.spec.groups,
    load<RuleGroups>(RULES).groups,
    `${OPERATOR_RULES} and ${RULES} differ: edit both alike`,
  );
});

test('the alerts issue 22 asks for exist, each with a severity, a summary and a description', () => {
  const names = alerts().map((a) => a.alert);
  for (const need of [
    'LvscareMasterDown',
    'LvscareMasterUnreachable',
    'LvscareFailOpen',
    'LvscareNotReconciling',
    'LvscareVipSetupFailing',
    'LvscareProbeTlsUnverified',
    'LvscareRepairStorm',
    'LvscareDown',
    'LvscareAbsent',
  ])
    assert.ok(names.includes(need), `missing alert ${need}`);
  assert.equal(new Set(names).size, names.length, 'alert names are unique');
  for (const a of alerts()) {
    assert.match(a.labels?.severity ?? '', /^(warning|critical)$/, `${a.alert}: severity`);
    assert.ok(a.annotations?.summary, `${a.alert}: summary`);
    assert.ok(a.annotations?.description, `${a.alert}: description`);
  }
});

test('every runbook_url is the one base plus the alert entry of docs/monitoring.md', () => {
  const doc = text(RUNBOOK);
  for (const a of alerts()) {
    assert.equal(a.annotations?.runbook_url, `${RUNBOOK_BASE}#${a.alert.toLowerCase()}`);
    // GitHub and most renderers make `### LvscareMasterDown` the anchor #lvscaremasterdown.
    assert.match(doc, new RegExp(`^### ${a.alert}$`, 'm'), `${RUNBOOK}: no ### ${a.alert}`);
  }
});

test("the documented sed line moves every runbook_url to the operator's base and changes nothing else", () => {
  const doc = text(RUNBOOK);
  // The command as docs/monitoring.md gives it, with the base it shows.
  const line = /^sed "s\|(\S+)\|\$base\|g"/m.exec(doc);
  assert.ok(line, `${RUNBOOK} shows no sed "s|...|$base|g" line`);
  const pattern = line[1]!;
  assert.equal(pattern, RUNBOOK_BASE.replace(/\./g, '\\.'), 'it replaces the shipped base');
  const base = 'https://git.example.org/ops/kha/-/blob/main/docs/monitoring.md';
  for (const file of [RULES, OPERATOR_RULES]) {
    const r = spawnSync('sed', [`s|${pattern}|${base}|g`, repo(file)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const before = text(file).split('\n');
    const after = r.stdout.split('\n');
    const changed = before.filter((l, i) => l !== after[i]);
    assert.ok(changed.length > 0 && changed.every((l) => /^\s+runbook_url: /.test(l)), file);
    const moved = yaml.load(r.stdout) as Partial<RuleGroups> & { spec?: RuleGroups };
    for (const a of (moved.groups ?? moved.spec?.groups ?? []).flatMap((g) => g.rules))
      assert.equal(a.annotations?.runbook_url, `${base}#${a.alert.toLowerCase()}`);
  }
});

/** Every lvscare_, process_ and nodejs_ series lvscare can export, discovery's included. */
async function exported(): Promise<Set<string>> {
  const metrics = new CareMetrics(['192.168.0.2:6443'], '10.103.97.2:6443');
  new DiscoveryMetrics(metrics.registry);
  const names = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram')
      for (const s of ['_bucket', '_sum', '_count']) names.add(`${m.name}${s}`);
  }
  return names;
}

const OURS = /\b(?:lvscare|process|nodejs)_[a-z0-9_]+\b/g;

interface Dashboard {
  templating: {
    list: Array<{ name: string; type: string; allValue?: string; query?: { query: string } }>;
  };
  panels: Array<{
    id: number;
    type: string;
    title: string;
    gridPos: { x: number; w: number };
    datasource: { uid: string };
    targets: Array<{ datasource: { uid: string }; expr: string }>;
  }>;
}
const dashboard = (): Dashboard => JSON.parse(text(DASHBOARD)) as Dashboard;

test('every lvscare metric an alert or a panel names is one lvscare exports', async () => {
  const names = await exported();
  const exprs = [
    ...alerts().map((a) => ({ where: a.alert, expr: a.expr })),
    ...dashboard().panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr })),
    ),
  ];
  for (const { where, expr } of exprs)
    for (const name of expr.match(OURS) ?? [])
      assert.ok(names.has(name), `${where}: ${name} is not a metric lvscare exports`);
});

test('the Grafana dashboard: every panel queries Prometheus through the data source variable, per node, in valid PromQL', () => {
  const { templating, panels: all } = dashboard();
  const vars = templating.list;
  assert.ok(vars.some((v) => v.name === 'datasource' && v.type === 'datasource'));
  const node = vars.find((v) => v.name === 'node');
  assert.ok(node, 'a `node` variable (the label the PodMonitor adds)');
  assert.match(node.query?.query ?? '', /label_values\(\w+, node\)/);
  const panels = all.filter((p) => p.type !== 'row');
  const ids = all.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  const exprs: string[] = [];
  for (const p of panels) {
    assert.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title}: inside the grid`);
    assert.equal(p.datasource.uid, '${datasource}', `${p.title}: data source`);
    assert.ok(p.targets.length > 0, `${p.title}: no query`);
    for (const t of p.targets) {
      assert.equal(t.datasource.uid, '${datasource}', `${p.title}: query data source`);
      assert.match(t.expr, /node=~"\$node"/, `${p.title}: ${t.expr} ignores the node picked`);
      exprs.push(t.expr);
    }
  }
  // Grafana's variables filled as Grafana would, then each query checked by promtool's parser
  // as a recording rule.
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
