// The shipped monitoring files (manifests/monitoring) against the pod `kha join` writes: the
// PodMonitor and the plain scrape job find it, and the job the alerts name is the pod's. The
// rules, their promtool suite, the runbook and the dashboard are checked against lvscare in
// packages/lvscare/test/monitoring.test.ts.
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
