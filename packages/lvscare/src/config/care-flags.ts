// The flags of `lvscare care`, one schema each: sealos' names and meanings (and ours, marked new in
// the README), what the command line carries, the default, the constraint and the message. Where
// sealos quietly makes sense of an odd value, the reader does the same and leaves a note saying so.
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { SCHEDULERS } from '@kha/netlink-ffi';
import * as z from 'zod/mini';
import { parseCidr } from './cidr.js';
import { formatDuration, parseDuration } from './duration.js';
import { type Endpoint, formatEndpoint, parseEndpoint, unusableVip } from './endpoint.js';
import { flag, flagWithDefault, list, text, why } from './flag.js';

/** What the reader did with a value sealos accepts but we would not have written that way. */
export type Notes = string[];

const MIN_INTERVAL_MS = 100;
/** Above these a typo is likelier than intent, and timers stay far from setTimeout's 24.8 days. */
const MAX_INTERVAL_MS = 3_600_000;
const MAX_HEALTH_TIMEOUT_MS = 60_000;
const MAX_DRAIN_TIMEOUT_MS = 3_600_000;
/**
 * Discovery asks the API once a period: below 5s thousands of workers would make it a load test,
 * above an hour a new master waits longer than anyone would expect.
 */
const MIN_DISCOVER_PERIOD_MS = 5000;
const MAX_DISCOVER_PERIOD_MS = 3_600_000;

const ENDPOINT_HINT = 'not an IP:PORT (IPv6 as [addr]:port)';

function endpoint(textValue: string): Endpoint {
  const e = parseEndpoint(textValue);
  if (e) return e;
  // An address without its port is the usual slip: say which port an API server has.
  const bare = parseEndpoint(textValue, 6443);
  return why(
    bare ? `not an IP:PORT: the port is missing, e.g. ${formatEndpoint(bare)}` : ENDPOINT_HINT,
  );
}

function duration(
  flagName: string,
  fallback: string,
  minMs: number,
  maxMs: number,
  notes: Notes,
): (t: string) => number {
  return (t) => {
    const ms = parseDuration(t) ?? why('not a duration (seconds like 5, or 500ms, 2s, 1m)');
    if (ms === 0) {
      // sealos: 0 means "not set" for --interval; a 0 timeout there fails every probe at once.
      notes.push(`--${flagName} ${JSON.stringify(t)}: zero means the default here, ${fallback}`);
      return parseDuration(fallback) ?? why(`bad default ${fallback}`);
    }
    if (ms < minMs) return why(`too small: at least ${formatDuration(minMs)}`);
    if (ms > maxMs) return why(`too large: at most ${formatDuration(maxMs)}`);
    return ms;
  };
}

function wholeNumber(min: number, max: number): (t: string) => number {
  return (t) => {
    if (!/^[0-9]+$/.test(t)) return why(`must be a whole number from ${min} to ${max}`);
    const n = Number(t);
    return n >= min && n <= max ? n : why(`must be a whole number from ${min} to ${max}`);
  };
}

// pflag's StringSlice and IntSlice read each value as a CSV record: `--rs a:6443,b:6443` is two.
const csvItems = (t: string): string[] => csvRecord(t).filter((x) => x !== '');

/** One CSV record (RFC 4180 quoting), as Go's encoding/csv reads the values pflag splits. */
function csvRecord(t: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (quoted) {
      if (c === '"' && t[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

/**
 * pflag's StringToString: one `=` is one pair (the value may hold commas), more are a CSV list of
 * pairs. sealos then sends a value's comma-separated parts as separate header lines; one line
 * joined by ", " means the same to an HTTP server (RFC 9110, 5.3).
 */
function headerPairs(t: string): Array<[string, string]> {
  const pairs = (t.split('=').length - 1 === 1 ? [t.replace(/^"|"$/g, '')] : csvRecord(t)).map(
    (pair): [string, string] => {
      const i = pair.indexOf('=');
      if (i < 0) return why('must be name=value');
      return [pair.slice(0, i), pair.slice(i + 1)];
    },
  );
  return pairs.map(([name, value]) => {
    const joined = value
      .split(',')
      .map((v) => v.trim())
      .join(', ');
    try {
      validateHeaderName(name);
      validateHeaderValue(name, joined);
    } catch (err) {
      return why(`not an HTTP header (${err instanceof Error ? err.message : String(err)})`);
    }
    return [name, joined];
  });
}

// Node's own rule for a request path (http.ClientRequest throws ERR_UNESCAPED_CHARACTERS on it).
const UNESCAPED_IN_PATH = /[^\u0021-\u00ff]/;

/** Every flag of `lvscare care`; `notes` collects what lenient readings did. */
export function careFlags(notes: Notes) {
  return {
    vs: flag(
      { kind: 'string', describe: 'virtual server VIP:PORT (IPv6 as [addr]:port)' },
      text((t) => {
        const vip = endpoint(t);
        const unusable = unusableVip(vip);
        return unusable ? why(unusable) : vip;
      }),
    ),
    rs: flagWithDefault(
      { kind: 'list', default: [], describe: 'a master IP:PORT, one per master (or a,b,...)' },
      z.pipe(
        list((t) => csvItems(t).map(endpoint)),
        z.transform((lists) => lists.flat()),
      ),
    ),
    scheduler: flagWithDefault(
      { kind: 'string', default: 'rr', describe: `IPVS scheduler: ${SCHEDULERS.join(', ')}` },
      text(
        (t) =>
          SCHEDULERS.find((s) => s === t) ??
          why(`unknown scheduler; one of ${SCHEDULERS.join(', ')}`),
      ),
    ),
    mode: flagWithDefault(
      {
        kind: 'string',
        default: 'route',
        describe: 'route | link | none: how local traffic reaches the VIP',
      },
      text((t): 'route' | 'link' | 'none' => {
        if (t === 'route' || t === 'link' || t === 'none') return t;
        if (t === '') return 'none'; // sealos spells "no mode" as ""
        return why('must be route, link or none');
      }),
    ),
    iface: flagWithDefault(
      { kind: 'string', short: 'i', default: 'lvscare', describe: 'dummy link name (link mode)' },
      text((t) =>
        /^[A-Za-z0-9_.-]{1,15}$/.test(t) ? t : why('not a link name (1-15 letters, digits, _ . -)'),
      ),
    ),
    ip: flag(
      {
        kind: 'string',
        describe: "this node's address towards the masters (route mode; detected when absent)",
      },
      text((t) => (t === '' ? undefined : (parseEndpoint(t, 0) ?? why('not an IP address')))),
    ),
    masqueradebit: flag(
      {
        kind: 'string',
        shownAs: 'number',
        describe: 'accepted for lvscare compatibility; link mode masquerades by address',
      },
      text((t) => (t === '' ? undefined : wholeNumber(0, 31)(t))),
    ),
    runOnce: flagWithDefault(
      {
        kind: 'boolean',
        default: false,
        describe: 'create the rules with every --rs, no probing, then exit',
      },
      z.boolean(),
    ),
    clean: flagWithDefault(
      {
        kind: 'boolean',
        short: 'C',
        default: false,
        describe: 'remove the virtual server and the mode set-up, then exit',
      },
      z.boolean(),
    ),
    interval: flagWithDefault(
      {
        kind: 'string',
        // sealos' rate: the kept connection's close and TCP keepalive carry the fast paths.
        default: '5s',
        describe: 'probe and reconcile interval (seconds, or 500ms, 2s)',
      },
      text(duration('interval', '5s', MIN_INTERVAL_MS, MAX_INTERVAL_MS, notes)),
    ),
    fastInterval: flagWithDefault(
      {
        kind: 'string',
        default: '200ms',
        describe: 're-probe interval while a master is between states',
      },
      text(duration('fast-interval', '200ms', 10, MAX_INTERVAL_MS, notes)),
    ),
    fall: flagWithDefault(
      {
        kind: 'string',
        shownAs: 'number',
        default: '2',
        describe: 'failures in a row that take a master down',
      },
      text(wholeNumber(1, 100)),
    ),
    rise: flagWithDefault(
      {
        kind: 'string',
        shownAs: 'number',
        default: '2',
        describe: 'successes in a row that bring a master back',
      },
      text(wholeNumber(1, 100)),
    ),
    drainTimeout: flagWithDefault(
      {
        kind: 'string',
        default: '30s',
        describe: 'how long a down master keeps weight 0 before removal',
      },
      text((t) => {
        const ms = parseDuration(t) ?? why('not a duration (seconds like 5, or 500ms, 2s, 1m)');
        if (ms < 0) return why('must not be negative');
        return ms > MAX_DRAIN_TIMEOUT_MS
          ? why(`too large: at most ${formatDuration(MAX_DRAIN_TIMEOUT_MS)}`)
          : ms;
      }),
    ),
    healthPath: flagWithDefault(
      { kind: 'string', default: '/healthz', describe: 'the path probed on each master' },
      text((t) => {
        const path = t.startsWith('/') ? t : `/${t}`;
        if (path !== t)
          notes.push(`--health-path ${JSON.stringify(t)}: taken as "${path}", as sealos does`);
        return UNESCAPED_IN_PATH.test(path)
          ? why(
              'holds characters an HTTP request path cannot carry (spaces, controls, non-Latin-1): percent-encode them',
            )
          : path;
      }),
    ),
    healthSchem: flagWithDefault(
      { kind: 'string', alias: ['health-scheme'], default: 'https', describe: 'http or https' },
      text((t): 'http' | 'https' =>
        t === 'http' || t === 'https' ? t : why('must be http or https'),
      ),
    ),
    healthReqMethod: flagWithDefault(
      { kind: 'string', default: 'GET', describe: 'the probe request method' },
      text((t) => {
        try {
          validateHeaderName(t); // an HTTP method is a token, as a header name is
        } catch {
          return why('not an HTTP method');
        }
        return t.toUpperCase();
      }),
    ),
    healthReqBody: flag(
      { kind: 'string', describe: 'the probe request body' },
      text((t) => (t === '' ? undefined : t)),
    ),
    healthReqHeaders: flagWithDefault(
      { kind: 'list', default: [], describe: 'name=value (a value may hold commas), or a=1,b=2' },
      z.pipe(
        list(headerPairs),
        z.transform((lists) => Object.fromEntries(lists.flat())),
      ),
    ),
    healthStatus: flagWithDefault(
      { kind: 'list', default: [], describe: 'extra status codes that count as healthy, e.g. 401' },
      z.pipe(
        list((t) =>
          csvItems(t).map((s) =>
            /^[1-5][0-9][0-9]$/.test(s) ? Number(s) : why('not an HTTP status code'),
          ),
        ),
        z.transform((lists) => lists.flat()),
      ),
    ),
    healthInsecureSkipVerify: flagWithDefault(
      {
        kind: 'boolean',
        default: true,
        describe: 'skip TLS verification (off when --health-ca-file is given)',
      },
      z.boolean(),
    ),
    healthCaFile: flag(
      { kind: 'string', describe: "verify masters' certificates against this CA (PEM file)" },
      text((t) => (t === '' ? undefined : t)),
    ),
    healthTimeout: flagWithDefault(
      { kind: 'string', default: '1s', describe: 'per-probe deadline' },
      text(duration('health-timeout', '1s', 10, MAX_HEALTH_TIMEOUT_MS, notes)),
    ),
    metricsAddress: flagWithDefault(
      {
        kind: 'string',
        default: '127.0.0.1:9299',
        describe: 'IP:PORT for /metrics, /healthz, /readyz; empty disables',
      },
      text((t) => {
        if (t === '') return undefined;
        const e = parseEndpoint(t) ?? why('not an IP:PORT (empty disables the endpoint)');
        return { host: e.address, port: e.port };
      }),
    ),
    livenessAddress: flagWithDefault(
      {
        kind: 'string',
        default: '127.0.0.1:9298',
        describe:
          "IP:PORT for /healthz, /livez, /readyz alone (kubelet's liveness probe), apart from --metrics-address; empty disables",
      },
      text((t) => {
        if (t === '') return undefined;
        const e = parseEndpoint(t) ?? why('not an IP:PORT (empty disables the endpoint)');
        return { host: e.address, port: e.port };
      }),
    ),
    kubeconfig: flag(
      {
        kind: 'string',
        describe:
          "follow the masters the API lists (the kubernetes Service's endpoints), with this kubeconfig's credentials, e.g. /etc/kubernetes/kubelet.conf",
      },
      text((t) => (t === '' ? undefined : t)),
    ),
    discoverCidr: flag(
      {
        kind: 'string',
        describe: 'with --kubeconfig: ignore discovered masters outside this CIDR',
      },
      text((t) => (t === '' ? undefined : (parseCidr(t) ?? why('not a CIDR, e.g. 10.0.0.0/24')))),
    ),
    discoverStateFile: flag(
      {
        kind: 'string',
        describe:
          'with --kubeconfig: remember the discovered masters here, e.g. /var/lib/kha/masters.json',
      },
      text((t) => (t === '' ? undefined : t)),
    ),
    discoverPeriod: flagWithDefault(
      {
        kind: 'string',
        default: '1m',
        describe:
          'with --kubeconfig: one API request per period per worker in steady state (the poll of endpoints/kubernetes, or the watch renewed)',
      },
      text(
        duration('discover-period', '1m', MIN_DISCOVER_PERIOD_MS, MAX_DISCOVER_PERIOD_MS, notes),
      ),
    ),
    nodeEvents: flagWithDefault(
      {
        kind: 'boolean',
        default: true,
        describe:
          "with --kubeconfig: post Events on this node's Node when a master goes out or back, on fail-open and when rules are put back (--no-node-events: none)",
      },
      z.boolean(),
    ),
    logger: flagWithDefault(
      { kind: 'string', default: 'INFO', describe: 'INFO or DEBG' },
      text((t): 'info' | 'debug' => {
        const level = t.toUpperCase();
        if (level === 'DEBG' || level === 'DEBUG') return 'debug';
        if (level !== 'INFO')
          notes.push(
            `--logger ${JSON.stringify(t)}: not a level lvscare knows; INFO, as sealos does`,
          );
        return 'info';
      }),
    ),
    logFormat: flagWithDefault(
      { kind: 'string', default: 'json', describe: 'json or text' },
      text((t): 'json' | 'text' =>
        t === 'json' || t === 'text' ? t : why('must be json or text'),
      ),
    ),
  };
}

/** A note for each --rs given more than once (sealos merges them too). */
export function distinctMasters(masters: Endpoint[], notes: Notes): Endpoint[] {
  const out: Endpoint[] = [];
  for (const m of masters) {
    if (out.some((o) => o.address === m.address && o.port === m.port))
      notes.push(`--rs ${JSON.stringify(formatEndpoint(m))}: given twice, used once`);
    else out.push(m);
  }
  return out;
}
