// The compatibility table (docs/sealos-compat.md), pinned: every row's invocation (after `lvscare`) gives the
// parsed configuration, the warning, or the error text and exit status written here, and every
// invocation in that table has a row here (and the other way round).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { main } from '../src/cli.js';
import { parseCareArgs } from '../src/commands/care-args.js';
import type { CareConfig } from '../src/config/care-config.js';
import { formatEndpoint } from '../src/config/endpoint.js';

/** The parts of a configuration the rows talk about. */
function summary(c: CareConfig) {
  return {
    vs: formatEndpoint(c.vip),
    rs: c.realServers.map(formatEndpoint),
    mode: c.mode,
    iface: c.iface,
    runOnce: c.runOnce,
    clean: c.clean,
    interval: c.intervalMs,
    fall: c.fall,
    rise: c.rise,
    path: c.health.path,
    scheme: c.health.scheme,
    headers: c.health.headers,
    statuses: c.health.extraStatuses,
    timeout: c.health.timeoutMs,
    insecure: c.health.insecureSkipVerify,
    logLevel: c.logLevel,
  };
}
type Summary = ReturnType<typeof summary>;

interface Row {
  /** Exactly as in the table, after `lvscare` (shell words, single quotes). */
  invocation: string;
  env?: Record<string, string>;
  config?: Partial<Summary>;
  /** A warning the run logs (sealos accepts it silently). */
  warns?: RegExp;
  error?: RegExp;
  exit?: number;
}

const V = '--vs 10.103.97.2:6443';
const M = '--rs 192.168.0.2:6443';
const ONE = { vs: '10.103.97.2:6443', rs: ['192.168.0.2:6443'] };

const ROWS: Row[] = [
  {
    invocation: `care ${V} --health-path /healthz --health-schem https --rs 192.168.0.2:6443 --rs 192.168.0.3:6443`,
    config: {
      rs: ['192.168.0.2:6443', '192.168.0.3:6443'],
      path: '/healthz',
      scheme: 'https',
      mode: 'route',
    },
  },
  {
    invocation: `care ${V} --health-path /healthz --health-schem https ${M} --health-status 401`,
    config: { ...ONE, statuses: [401] },
  },
  {
    invocation: `care ${V} ${M} --health-path /healthz --health-schem https --run-once`,
    config: { ...ONE, runOnce: true },
  },
  { invocation: `care ${V} -C`, config: { vs: '10.103.97.2:6443', rs: [], clean: true } },
  { invocation: `care ${V} -C=t`, config: { clean: true } },
  {
    invocation: `care ${V} ${M}`,
    config: { ...ONE, interval: 5000, fall: 2, rise: 2, timeout: 1000, insecure: true },
  },
  {
    invocation: `care ${V} --rs 192.168.0.2:6443,192.168.0.3:6443`,
    config: { rs: ['192.168.0.2:6443', '192.168.0.3:6443'] },
  },
  {
    invocation: `care ${V} ${M} ${M}`,
    config: ONE,
    warns: /--rs "192\.168\.0\.2:6443": given twice, used once/,
  },
  {
    invocation: `care ${V} ${M} --health-path healthz`,
    config: { path: '/healthz' },
    warns: /taken as "\/healthz"/,
  },
  { invocation: `care ${V} ${M} --interval 5`, config: { interval: 5000 } },
  {
    invocation: `care ${V} ${M} --interval 0`,
    config: { interval: 5000 },
    warns: /--interval "0": zero means the default/,
  },
  {
    invocation: `care ${V} ${M} --health-timeout 0s`,
    config: { timeout: 1000 },
    warns: /--health-timeout "0s": zero means the default/,
  },
  { invocation: `care ${V} ${M} --logger DEBG`, config: { logLevel: 'debug' } },
  {
    invocation: `care ${V} ${M} --logger WARN`,
    config: { logLevel: 'info' },
    warns: /--logger "WARN": not a level/,
  },
  {
    invocation: `care ${V} ${M} --health-req-headers Accept=a,b`,
    config: { headers: { Accept: 'a, b' } },
  },
  {
    invocation: `care ${V} ${M} --health-req-headers 'Accept=text/html, application/json'`,
    config: { headers: { Accept: 'text/html, application/json' } },
  },
  {
    invocation: `care ${V} ${M} --health-req-headers a=1,b=2`,
    config: { headers: { a: '1', b: '2' } },
  },
  { invocation: `care ${V} ${M} --mode link -iFOO`, config: { mode: 'link', iface: 'FOO' } },
  { invocation: `care ${V} ${M} --mode ''`, config: { mode: 'none' } },
  {
    invocation: `care ${V} ${M} --health-insecure-skip-verify false`,
    config: { insecure: true },
    warns:
      /--health-insecure-skip-verify false: a boolean flag takes its value only as --health-insecure-skip-verify=false; it stays true/,
  },
  { invocation: `care ${V} ${M} extra`, config: ONE, warns: /ignored the argument "extra"/ },
  { invocation: `care ${V} ${M}`, env: { CARE_RUN_ONCE: 't' }, config: { runOnce: true } },
  { invocation: `care ${V} ${M}`, env: { CARE_LOGGER: '' }, config: { logLevel: 'info' } },
  {
    invocation: `care ${V}`,
    env: { CARE_RS: '192.168.0.2:6443,192.168.0.3:6443' },
    config: { rs: ['192.168.0.2:6443', '192.168.0.3:6443'] },
  },
  {
    invocation: `care ${V} ${M} --interval 2s`,
    env: { CARE_INTERVAL: '9s' },
    config: { interval: 2000 },
  },
  {
    invocation: `care ${V} ${M}`,
    env: { CARE_INTERVAL: 'often' },
    error: /--interval "often" \(from CARE_INTERVAL\): not a duration/,
    exit: 2,
  },
  {
    invocation: `care ${V} ${M} --health-insecure-skip-verify=false`,
    error: /--health-insecure-skip-verify false: needs --health-ca-file/,
    exit: 2,
  },
  {
    invocation: `care ${V} ${M} --mdoe route`,
    error: /Unknown argument: mdoe \(did you mean --mode\?\)/,
    exit: 2,
  },
  { invocation: 'crae', error: /unknown command "crae": Did you mean care\?/, exit: 2 },
  { invocation: `care ${M}`, error: /--vs .*is required/, exit: 2 },
  { invocation: `care ${V}`, error: /--rs is required/, exit: 2 },
  {
    invocation: `care ${V} ${M} --scheduler fastest`,
    error: /--scheduler "fastest": unknown scheduler/,
    exit: 2,
  },
  {
    invocation: `care --vs 127.0.0.1:6443 ${M}`,
    error: /--vs "127\.0\.0\.1:6443": a loopback address/,
    exit: 2,
  },
  {
    invocation: `care --vs 224.0.0.1:6443 ${M}`,
    error: /--vs "224\.0\.0\.1:6443": a multicast address/,
    exit: 2,
  },
  {
    invocation: `care --vs '[fe80::1%eth0]:6443' ${M}`,
    error: /--vs "\[fe80::1%eth0\]:6443": not an IP:PORT/,
    exit: 2,
  },
  {
    invocation: `care ${V} ${M} --interval 1000h`,
    error: /--interval "1000h": too large: at most 1h0m0s/,
    exit: 2,
  },
  {
    invocation: `care ${V} ${M} --health-req-headers 'Bad Name=x'`,
    error: /--health-req-headers "Bad Name=x": not an HTTP header/,
    exit: 2,
  },
  {
    invocation: `care ${V} ${M} --health-path '/a b'`,
    error: /--health-path "\/a b": holds characters/,
    exit: 2,
  },
  {
    invocation: `care ${V} ${M} --run-once=yes`,
    error: /--run-once "yes": not a boolean/,
    exit: 2,
  },
];

/** Shell words of a row's invocation: spaces split, single quotes group. */
function words(invocation: string): string[] {
  return [...invocation.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

function sink() {
  let text = '';
  const stream = { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream;
  return { stream, text: () => text };
}

for (const row of ROWS) {
  const env = row.env
    ? ` (env ${Object.entries(row.env)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')})`
    : '';
  test(`lvscare ${row.invocation}${env}`, async () => {
    const argv = words(row.invocation);
    if (row.error) {
      const out = sink();
      const err = sink();
      const status = await main(argv, out.stream, row.env ?? {}, err.stream);
      assert.equal(status, row.exit, err.text());
      assert.match(err.text(), row.error);
      return;
    }
    const { config, notes } = await parseCareArgs(argv.slice(1), row.env ?? {});
    const got = summary(config);
    for (const [key, value] of Object.entries(row.config ?? {}))
      assert.deepEqual(got[key as keyof Summary], value, key);
    if (row.warns)
      assert.ok(
        notes.some((n) => row.warns!.test(n)),
        notes.join('\n'),
      );
    else assert.deepEqual(notes, []);
  });
}

test('the compatibility table (docs/sealos-compat.md) and these rows name the same invocations', () => {
  const section = readFileSync(
    new URL('../../../../docs/sealos-compat.md', import.meta.url),
    'utf8',
  );
  const inTable = new Set(
    [...section.matchAll(/^\| `lvscare ([^`]+)`(?: with `([^`]+)`)?\s*\|/gm)].map(
      (m) => `${m[1]}${m[2] ? ` with ${m[2]}` : ''}`,
    ),
  );
  const rows = new Set(
    ROWS.map(
      (r) =>
        `${r.invocation}${
          r.env
            ? ` with ${Object.entries(r.env)
                .map(([k, v]) => `${k}=${v}`)
                .join(' ')}`
            : ''
        }`,
    ),
  );
  assert.deepEqual(
    [...rows].filter((r) => !inTable.has(r)),
    [],
    'rows missing from the table',
  );
  assert.deepEqual(
    [...inTable].filter((r) => !rows.has(r)),
    [],
    'table rows without a golden row',
  );
});
