// A real Prometheus server (Debian's, taken out of its package into .cache/tools by
// test/provision-tools.sh) scraping given targets with given rule files, and its HTTP API: instant
// queries and alert states. Optionally inside a network namespace, to scrape as a Prometheus on
// another machine would.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

export const PROMETHEUS_BIN = fileURLToPath(
  new URL('../../../.cache/tools/prometheus', import.meta.url),
);
/** The shipped monitoring files. */
export const MONITORING_DIR = fileURLToPath(
  new URL('../../../manifests/monitoring', import.meta.url),
);

export interface PrometheusOptions {
  /** `host:port` of each target, scraped at /metrics under `job`. */
  targets: string[];
  /** The job name; the shipped alerts expect kube-lvscare. */
  job?: string;
  /** Rule files to load (absolute paths). */
  ruleFiles: string[];
  /** Scrape and rule evaluation interval, seconds. */
  intervalSeconds?: number;
  /** Where the HTTP API listens, `host:port`. */
  listen?: string;
  /** A network namespace (`ip netns`) to run in; the API must then be reachable from here. */
  netns?: string;
  /** Extra labels on every target (e.g. node). */
  targetLabels?: Record<string, string>;
  /** Further targets of the same job with labels of their own (other workers). */
  moreTargets?: Array<{ targets: string[]; labels: Record<string, string> }>;
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

export class Prometheus {
  private readonly stderr: string[] = [];
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly dir: string,
  ) {
    let buf = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      this.stderr.push(...lines);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Starts Prometheus and resolves once it is ready and has scraped every target once. */
  static async start(o: PrometheusOptions, timeoutMs = 60_000): Promise<Prometheus> {
    if (!existsSync(PROMETHEUS_BIN))
      throw new Error(`${PROMETHEUS_BIN} is missing: run bash test/provision-tools.sh`);
    const interval = `${o.intervalSeconds ?? 1}s`;
    const listen = o.listen ?? '127.0.0.1:19090';
    const dir = mkdtempSync(join(tmpdir(), 'kha-prometheus-'));
    const config = {
      global: {
        scrape_interval: interval,
        evaluation_interval: interval,
        scrape_timeout: interval,
      },
      rule_files: o.ruleFiles,
      scrape_configs: [
        {
          job_name: o.job ?? 'kube-lvscare',
          static_configs: [
            { targets: o.targets, labels: o.targetLabels ?? {} },
            ...(o.moreTargets ?? []),
          ],
        },
      ],
    };
    writeFileSync(join(dir, 'prometheus.yml'), yaml.dump(config));
    const args = [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${listen}`,
      '--log.level=warn',
    ];
    const child = o.netns
      ? spawn('ip', ['netns', 'exec', o.netns, PROMETHEUS_BIN, ...args], {
          stdio: ['ignore', 'ignore', 'pipe'],
        })
      : spawn(PROMETHEUS_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const p = new Prometheus(child, `http://${listen}`, dir);
    const ready = await poll(async () => {
      const targets = await p.api<{ activeTargets: Array<{ lastScrape: string }> }>('targets');
      return (
        targets.activeTargets.length ===
          o.targets.length + (o.moreTargets ?? []).reduce((n, g) => n + g.targets.length, 0) &&
        targets.activeTargets.every((t) => Date.parse(t.lastScrape) > 0)
      );
    }, timeoutMs);
    if (!ready) {
      await p.stop();
      throw new Error(`prometheus not ready within ${timeoutMs}ms:\n${p.log()}`);
    }
    return p;
  }

  log(): string {
    return this.stderr.slice(-20).join('\n');
  }

  private async api<T>(path: string): Promise<T> {
    const res = await fetch(`${this.url}/api/v1/${path}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error}`);
    return body.data;
  }

  /** An instant query at the current time. */
  async query(expr: string): Promise<Sample[]> {
    const data = await this.api<{ resultType: string; result: Sample[] }>(
      `query?query=${encodeURIComponent(expr)}`,
    );
    if (data.resultType !== 'vector')
      throw new Error(`${expr}: a ${data.resultType}, not a vector`);
    return data.result;
  }

  /** Active (pending or firing) alerts, from /api/v1/alerts. */
  async alerts(): Promise<Alert[]> {
    return (await this.api<{ alerts: Alert[] }>('alerts')).alerts;
  }

  /**
   * Waits until the alert named `name` whose labels include `labels` is in `state` ('inactive':
   * no longer listed); resolves with it (undefined for inactive), or rejects on the deadline.
   */
  async waitForAlert(
    name: string,
    labels: Record<string, string>,
    state: 'pending' | 'firing' | 'inactive',
    timeoutMs: number,
  ): Promise<Alert | undefined> {
    let found: Alert | undefined;
    let seen: Alert[] = [];
    const ok = await poll(async () => {
      seen = await this.alerts();
      found = seen.find(
        (a) =>
          a.labels.alertname === name &&
          Object.entries(labels).every(([k, v]) => a.labels[k] === v),
      );
      return state === 'inactive' ? found === undefined : found?.state === state;
    }, timeoutMs);
    if (!ok)
      throw new Error(
        `${name}${JSON.stringify(labels)} not ${state} within ${timeoutMs}ms; alerts: ${JSON.stringify(seen)}`,
      );
    return found;
  }

  /** Waits until `expr` returns at least one sample; resolves with the samples. */
  async waitForData(expr: string, timeoutMs: number): Promise<Sample[]> {
    let result: Sample[] = [];
    await poll(async () => (result = await this.query(expr)).length > 0, timeoutMs);
    return result;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(killer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A copy of a rules file with each `for:` duration replaced, every other line byte for byte: the
 * shipped alerts, made to fire within a test's patience.
 */
export function rulesWithFor(source: string, forDuration: string, dest: string): string {
  const text = readFileSync(source, 'utf8');
  let count = 0;
  const out = text.replace(/^(\s+for: )\S+$/gm, (_, lead: string) => {
    count++;
    return `${lead}${forDuration}`;
  });
  if (count === 0) throw new Error(`${source}: no for: line to rewrite`);
  writeFileSync(dest, out);
  return dest;
}

export interface PanelQuery {
  panel: string;
  expr: string;
}

/**
 * Every query of a Grafana dashboard, with its variables as Grafana would fill them: each as
 * `picked` names it (a value chosen in the picker), else as its all-value, `$__rate_interval` as
 * `rateInterval`.
 */
export function dashboardQueries(
  path: string,
  rateInterval: string,
  picked: Record<string, string> = {},
): PanelQuery[] {
  const dashboard = JSON.parse(readFileSync(path, 'utf8')) as {
    panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    templating: { list: Array<{ name: string; allValue?: string }> };
  };
  const vars = new Map<string, string>([['__rate_interval', rateInterval]]);
  for (const v of dashboard.templating.list) {
    const value = picked[v.name] ?? v.allValue;
    if (value) vars.set(v.name, value);
  }
  return dashboard.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({
      panel: p.title,
      expr: t.expr.replace(/\$(\w+)/g, (whole, name: string) => vars.get(name) ?? whole),
    })),
  );
}

async function poll(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // not answering yet
    }
    if (performance.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
}
