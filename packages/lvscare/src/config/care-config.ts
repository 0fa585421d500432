// The one place raw flags become a typed configuration. Every error names the flag and the value.
import { readFileSync } from 'node:fs';
import { SCHEDULERS } from '@kha/netlink-ffi';
import { UsageError } from '../exit.js';
import { formatDuration, parseDuration } from './duration.js';
import { type Endpoint, formatEndpoint, parseEndpoint, sameEndpoint } from './endpoint.js';

export type VipMode = 'route' | 'link' | 'none';
export type LogFormat = 'json' | 'text';

export const MIN_INTERVAL_MS = 100;

export interface HealthCheck {
  scheme: 'http' | 'https';
  path: string;
  method: string;
  body: string | undefined;
  headers: Record<string, string>;
  /** Status codes that count as healthy besides 200-399. */
  extraStatuses: number[];
  timeoutMs: number;
  /** PEM of the CA masters' certificates are verified against; verification is on when set. */
  ca: string | undefined;
  caFile: string | undefined;
  insecureSkipVerify: boolean;
}

export interface CareConfig {
  vip: Endpoint;
  realServers: Endpoint[];
  scheduler: string;
  mode: VipMode;
  iface: string;
  nodeIp: string | undefined;
  masqueradeBit: number | undefined;
  runOnce: boolean;
  clean: boolean;
  intervalMs: number;
  fastIntervalMs: number;
  fall: number;
  rise: number;
  drainTimeoutMs: number;
  health: HealthCheck;
  metricsAddress: { host: string; port: number } | undefined;
  logLevel: 'info' | 'debug';
  logFormat: LogFormat;
}

/** The flags as the command line hands them over (strings, booleans, lists), before any checking. */
export interface RawCareFlags {
  vs?: string | undefined;
  rs?: Array<string | number> | string | undefined;
  scheduler?: string | undefined;
  mode?: string | undefined;
  iface?: string | undefined;
  ip?: string | undefined;
  masqueradebit?: number | string | undefined;
  runOnce?: boolean | undefined;
  clean?: boolean | undefined;
  interval?: string | number | undefined;
  fastInterval?: string | number | undefined;
  fall?: number | string | undefined;
  rise?: number | string | undefined;
  drainTimeout?: string | number | undefined;
  healthPath?: string | undefined;
  healthSchem?: string | undefined;
  healthReqMethod?: string | undefined;
  healthReqBody?: string | undefined;
  healthReqHeaders?: Array<string> | string | undefined;
  healthStatus?: Array<number | string> | number | string | undefined;
  healthInsecureSkipVerify?: boolean | undefined;
  healthCaFile?: string | undefined;
  healthTimeout?: string | number | undefined;
  metricsAddress?: string | undefined;
  logger?: string | undefined;
  logFormat?: string | undefined;
}

/** Defaults, chosen for the failover targets in the README. */
export const DEFAULTS = {
  scheduler: 'rr',
  mode: 'route' as VipMode,
  iface: 'lvscare',
  interval: '1s',
  fastInterval: '200ms',
  fall: 2,
  rise: 2,
  drainTimeout: '30s',
  healthPath: '/healthz',
  healthSchem: 'https',
  healthReqMethod: 'GET',
  healthTimeout: '1s',
  metricsAddress: '127.0.0.1:9299',
  logger: 'INFO',
  logFormat: 'json' as LogFormat,
};

const bad = (flag: string, value: unknown, why: string): UsageError =>
  new UsageError(`--${flag} ${JSON.stringify(value)}: ${why}`);

function list(v: Array<string | number> | string | number | undefined): string[] {
  if (v === undefined) return [];
  const items = Array.isArray(v) ? v : [v];
  // Environment variables carry lists comma-separated.
  return items
    .flatMap((x) => String(x).split(','))
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

function duration(
  flag: string,
  v: string | number | undefined,
  fallback: string,
  min: number,
): number {
  const text = String(v ?? fallback);
  const ms = parseDuration(text);
  if (ms === undefined) throw bad(flag, text, 'not a duration (seconds like 5, or 500ms, 2s, 1m)');
  if (ms < min) throw bad(flag, text, `too small: at least ${formatDuration(min)}`);
  return ms;
}

function positiveInt(
  flag: string,
  v: number | string | undefined,
  fallback: number,
  max = 100,
): number {
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw bad(flag, v, `must be a whole number from 1 to ${max}`);
  return n;
}

function vipOf(raw: RawCareFlags): Endpoint {
  if (raw.vs === undefined || raw.vs === '')
    throw new UsageError('--vs is required: the virtual server, e.g. --vs 10.103.97.2:6443');
  const vip = parseEndpoint(raw.vs);
  if (!vip) throw bad('vs', raw.vs, 'not an IP:PORT (IPv6 as [addr]:port)');
  return vip;
}

function realServersOf(raw: RawCareFlags, vip: Endpoint, required: boolean): Endpoint[] {
  const texts = list(raw.rs);
  if (required && texts.length === 0)
    throw new UsageError('--rs is required: one per master, e.g. --rs 192.168.0.2:6443');
  const out: Endpoint[] = [];
  for (const text of texts) {
    const rs = parseEndpoint(text);
    if (!rs) throw bad('rs', text, 'not an IP:PORT (IPv6 as [addr]:port)');
    if (rs.family !== vip.family)
      throw bad(
        'rs',
        text,
        `is ${rs.family === 'inet' ? 'IPv4' : 'IPv6'} but --vs is not: mixed address families`,
      );
    if (rs.address === vip.address) throw bad('rs', text, 'is the virtual server itself');
    if (out.some((o) => sameEndpoint(o, rs))) throw bad('rs', text, 'is given twice');
    out.push(rs);
  }
  return out;
}

function healthOf(raw: RawCareFlags): HealthCheck {
  const scheme = raw.healthSchem ?? DEFAULTS.healthSchem;
  if (scheme !== 'http' && scheme !== 'https')
    throw bad('health-schem', scheme, 'must be http or https');
  const path = raw.healthPath ?? DEFAULTS.healthPath;
  if (!path.startsWith('/')) throw bad('health-path', path, 'must start with /');
  const method = (raw.healthReqMethod ?? DEFAULTS.healthReqMethod).toUpperCase();
  if (!/^[A-Z]+$/.test(method))
    throw bad('health-req-method', raw.healthReqMethod, 'not an HTTP method');
  const headers: Record<string, string> = {};
  for (const kv of list(raw.healthReqHeaders)) {
    const i = kv.indexOf('=');
    if (i <= 0) throw bad('health-req-headers', kv, 'must be name=value');
    headers[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
  }
  const extraStatuses = list(raw.healthStatus).map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 100 || n > 599)
      throw bad('health-status', s, 'not an HTTP status code');
    return n;
  });
  let ca: string | undefined;
  const caFile = raw.healthCaFile === '' ? undefined : raw.healthCaFile;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (err) {
      throw bad(
        'health-ca-file',
        caFile,
        `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----'))
      throw bad('health-ca-file', caFile, 'holds no PEM certificate');
  }
  return {
    scheme,
    path,
    method,
    body: raw.healthReqBody === '' ? undefined : raw.healthReqBody,
    headers,
    extraStatuses,
    timeoutMs: duration('health-timeout', raw.healthTimeout, DEFAULTS.healthTimeout, 10),
    ca,
    caFile,
    // A CA file turns verification on: that is what giving one means.
    insecureSkipVerify: ca !== undefined ? false : (raw.healthInsecureSkipVerify ?? true),
  };
}

function metricsAddressOf(text: string | undefined): CareConfig['metricsAddress'] {
  const t = text ?? DEFAULTS.metricsAddress;
  if (t === '') return undefined;
  const e = parseEndpoint(t);
  if (!e) throw bad('metrics-address', t, 'not an IP:PORT (empty disables the endpoint)');
  return { host: e.address, port: e.port };
}

/** Checks every flag of `lvscare care` and returns the configuration, or throws UsageError. */
export function careConfig(raw: RawCareFlags): CareConfig {
  const clean = raw.clean ?? false;
  const vip = vipOf(raw);
  const realServers = realServersOf(raw, vip, !clean);
  const scheduler = raw.scheduler ?? DEFAULTS.scheduler;
  if (!(SCHEDULERS as readonly string[]).includes(scheduler)) {
    throw bad('scheduler', scheduler, `unknown scheduler; one of ${SCHEDULERS.join(', ')}`);
  }
  const modeText = raw.mode ?? DEFAULTS.mode;
  const mode = modeText === '' ? 'none' : modeText; // sealos spells "no mode" as ""
  if (mode !== 'route' && mode !== 'link' && mode !== 'none')
    throw bad('mode', modeText, 'must be route, link or none');
  const iface = raw.iface ?? DEFAULTS.iface;
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(iface))
    throw bad('iface', iface, 'not a link name (1-15 letters, digits, _ . -)');
  let nodeIp: string | undefined;
  if (raw.ip !== undefined && raw.ip !== '') {
    const e = parseEndpoint(raw.ip, 0);
    if (!e || e.family !== vip.family)
      throw bad(
        'ip',
        raw.ip,
        `not an ${vip.family === 'inet' ? 'IPv4' : 'IPv6'} address of this node`,
      );
    nodeIp = e.address;
  }
  let masqueradeBit: number | undefined;
  if (raw.masqueradebit !== undefined && raw.masqueradebit !== '') {
    const n = Number(raw.masqueradebit);
    if (!Number.isInteger(n) || n < 0 || n > 31)
      throw bad('masqueradebit', raw.masqueradebit, 'must be a bit number from 0 to 31');
    masqueradeBit = n;
  }
  const level = (raw.logger ?? DEFAULTS.logger).toUpperCase();
  if (!['INFO', 'DEBG', 'DEBUG'].includes(level))
    throw bad('logger', raw.logger, 'must be INFO or DEBG');
  const logFormat = raw.logFormat ?? DEFAULTS.logFormat;
  if (logFormat !== 'json' && logFormat !== 'text')
    throw bad('log-format', logFormat, 'must be json or text');
  const intervalMs = duration('interval', raw.interval, DEFAULTS.interval, MIN_INTERVAL_MS);
  const health = healthOf(raw);
  return {
    vip,
    realServers,
    scheduler,
    mode,
    iface,
    nodeIp,
    masqueradeBit,
    runOnce: raw.runOnce ?? false,
    clean,
    intervalMs,
    fastIntervalMs: duration('fast-interval', raw.fastInterval, DEFAULTS.fastInterval, 10),
    fall: positiveInt('fall', raw.fall, DEFAULTS.fall),
    rise: positiveInt('rise', raw.rise, DEFAULTS.rise),
    drainTimeoutMs: duration('drain-timeout', raw.drainTimeout, DEFAULTS.drainTimeout, 0),
    health,
    metricsAddress: metricsAddressOf(raw.metricsAddress),
    logLevel: level === 'INFO' ? 'info' : 'debug',
    logFormat,
  };
}

export function describeConfig(c: CareConfig): Record<string, unknown> {
  return {
    vs: formatEndpoint(c.vip),
    rs: c.realServers.map(formatEndpoint),
    scheduler: c.scheduler,
    mode: c.mode,
    interval: formatDuration(c.intervalMs),
    fastInterval: formatDuration(c.fastIntervalMs),
    fall: c.fall,
    rise: c.rise,
    drainTimeout: formatDuration(c.drainTimeoutMs),
    health: `${c.health.method} ${c.health.scheme}://<rs>${c.health.path} timeout ${formatDuration(c.health.timeoutMs)}${c.health.scheme === 'https' ? (c.health.insecureSkipVerify ? ' (TLS not verified)' : ` (TLS verified against ${c.health.caFile ?? 'system CAs'})`) : ''}`,
  };
}
