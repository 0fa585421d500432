// The one place the flags of `lvscare care` become a typed configuration: pure (the CA file is
// read later, by loadCaFile), every problem reported at once, each naming the flag and the value.
import * as z from 'zod/mini';
import { UsageError } from '../exit.js';
import { careFlags, distinctMasters, type Notes } from './care-flags.js';
import { formatDuration } from './duration.js';
import { formatEndpoint } from './endpoint.js';
import { kebab, whenParsed } from './flag.js';

/** A wildcard bind takes the port on every address, so any other bind of that port clashes. */
const anyAddress = (host: string): boolean => host === '0.0.0.0' || host === '::';

// Filled in by loadCaFile once the flags are valid.
const caNotReadYet: string | undefined = undefined;

/** The flags the checks across flags read: they run whenever these parsed, whatever else did not. */
const CROSS_CHECKED = new Set([
  'vs',
  'rs',
  'clean',
  'ip',
  'healthInsecureSkipVerify',
  'healthCaFile',
  'kubeconfig',
  'discoverCidr',
  'discoverStateFile',
  'metricsAddress',
  'livenessAddress',
]);

function careSchema(notes: Notes) {
  const flags = z.object(careFlags(notes)).check(
    z.superRefine(
      (f, ctx) => {
        const problem = (flagName: string, input: unknown, message: string): void => {
          ctx.issues.push({ code: 'custom', path: [flagName], input, message });
        };
        const vip = f.vs;
        if (!vip)
          return problem(
            'vs',
            undefined,
            'is required: the virtual server, e.g. --vs 10.103.97.2:6443',
          );
        if (f.rs.length === 0 && !f.clean)
          problem('rs', undefined, 'is required: one per master, e.g. --rs 192.168.0.2:6443');
        for (const rs of f.rs) {
          if (rs.family !== vip.family)
            problem(
              'rs',
              formatEndpoint(rs),
              `is ${rs.family === 'inet' ? 'IPv4' : 'IPv6'} but --vs is not: mixed address families`,
            );
          else if (rs.address === vip.address)
            problem('rs', formatEndpoint(rs), 'is the virtual server itself');
        }
        if (f.ip && f.ip.family !== vip.family)
          problem(
            'ip',
            f.ip.address,
            `not an ${vip.family === 'inet' ? 'IPv4' : 'IPv6'} address: --vs is not`,
          );
        if (f.kubeconfig === undefined) {
          if (f.discoverCidr)
            problem(
              'discoverCidr',
              f.discoverCidr.text,
              'needs --kubeconfig: there is no discovery without it',
            );
          if (f.discoverStateFile)
            problem(
              'discoverStateFile',
              f.discoverStateFile,
              'needs --kubeconfig: there is no discovery without it',
            );
        } else if (f.discoverCidr && f.discoverCidr.family !== vip.family)
          problem(
            'discoverCidr',
            f.discoverCidr.text,
            `is ${f.discoverCidr.family === 'inet' ? 'IPv4' : 'IPv6'} but --vs is not: every master would be ignored`,
          );
        const [m, l] = [f.metricsAddress, f.livenessAddress];
        if (m && l && m.port === l.port && (m.host === l.host || [m.host, l.host].some(anyAddress)))
          problem(
            'livenessAddress',
            l.host.includes(':') ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`,
            'shares its port with --metrics-address: give the liveness listener a port of its own',
          );
        if (!f.healthInsecureSkipVerify && f.healthCaFile === undefined)
          problem(
            'healthInsecureSkipVerify',
            false,
            "needs --health-ca-file: the masters' certificates cannot be verified without their CA, so every probe would fail",
          );
      },
      { when: whenParsed(CROSS_CHECKED) },
    ),
  );
  return z.pipe(
    flags,
    z.transform((f) => {
      const vip = f.vs;
      if (!vip) return z.NEVER; // reported by the check above
      const realServers = distinctMasters(f.rs, notes);
      return {
        vip,
        realServers,
        scheduler: f.scheduler,
        mode: f.mode,
        iface: f.iface,
        nodeIp: f.ip?.address,
        masqueradeBit: f.masqueradebit,
        runOnce: f.runOnce,
        clean: f.clean,
        intervalMs: f.interval,
        fastIntervalMs: f.fastInterval,
        fall: f.fall,
        rise: f.rise,
        drainTimeoutMs: f.drainTimeout,
        health: {
          scheme: f.healthSchem,
          path: f.healthPath,
          method: f.healthReqMethod,
          body: f.healthReqBody,
          headers: f.healthReqHeaders,
          /** Status codes that count as healthy besides 200-399. */
          extraStatuses: f.healthStatus,
          timeoutMs: f.healthTimeout,
          /** PEM of the CA masters' certificates are verified against; verification is on when set. */
          ca: caNotReadYet,
          caFile: f.healthCaFile,
          // A CA file turns verification on: that is what giving one means.
          insecureSkipVerify: f.healthCaFile === undefined && f.healthInsecureSkipVerify,
        },
        metricsAddress: f.metricsAddress,
        livenessAddress: f.livenessAddress,
        /** Master discovery through the API (--kubeconfig); absent: --rs alone. */
        ...(f.kubeconfig
          ? {
              discovery: {
                kubeconfig: f.kubeconfig,
                cidr: f.discoverCidr,
                stateFile: f.discoverStateFile,
                periodMs: f.discoverPeriod,
                /** Events on the Node, with the same credentials. */
                nodeEvents: f.nodeEvents,
              },
            }
          : {}),
        logLevel: f.logger,
        logFormat: f.logFormat,
      };
    }),
  );
}

/** The flags as the command line hands them over, by camelCase name; absent ones are defaulted. */
export type CareConfig = z.output<ReturnType<typeof careSchema>>;
export type HealthCheck = CareConfig['health'];
export type LogFormat = CareConfig['logFormat'];

/** Where a flag's value came from when not the command line, e.g. "CARE_INTERVAL". */
export type Origin = (flagName: string) => string | undefined;

/** One line per zod issue: `--flag "value" (from CARE_FLAG): why`. */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  origin: Origin = () => undefined,
): string[] {
  return issues.map((issue) => {
    const name = kebab(String(issue.path[0] ?? ''));
    const from = origin(name);
    const where = from ? ` (from ${from})` : '';
    if (issue.input === undefined) return `--${name}${where} ${issue.message}`;
    return `--${name} ${JSON.stringify(issue.input)}${where}: ${issue.message}`;
  });
}

/**
 * Checks every flag of `lvscare care` and returns the configuration and the notes of what lenient
 * readings did (to be logged as warnings), or throws a UsageError naming every problem.
 */
export function checkCareFlags(
  values: Readonly<Record<string, unknown>>,
  origin?: Origin,
): { config: CareConfig; notes: Notes } {
  const notes: Notes = [];
  const parsed = careSchema(notes).safeParse(values, { reportInput: true });
  if (!parsed.success) throw new UsageError(describeIssues(parsed.error.issues, origin));
  return { config: parsed.data, notes };
}

/** The configuration alone (flag values by camelCase name); see checkCareFlags. */
export const careConfigFromValues = (values: Readonly<Record<string, unknown>>): CareConfig =>
  checkCareFlags(values).config;

/** The help text and CLI options: every flag's description, by kebab-case name. */
export const careFlagShape = () => careFlags([]);

export function describeConfig(config: CareConfig): Record<string, unknown> {
  return {
    vs: formatEndpoint(config.vip),
    rs: config.realServers.map(formatEndpoint),
    scheduler: config.scheduler,
    mode: config.mode,
    interval: formatDuration(config.intervalMs),
    fastInterval: formatDuration(config.fastIntervalMs),
    fall: config.fall,
    rise: config.rise,
    drainTimeout: formatDuration(config.drainTimeoutMs),
    ...(config.discovery && {
      discovery: {
        kubeconfig: config.discovery.kubeconfig,
        ...(config.discovery.cidr && { cidr: config.discovery.cidr.text }),
        ...(config.discovery.stateFile && { stateFile: config.discovery.stateFile }),
        period: formatDuration(config.discovery.periodMs),
        nodeEvents: config.discovery.nodeEvents,
      },
    }),
    health: `${config.health.method} ${config.health.scheme}://<rs>${config.health.path} timeout ${formatDuration(config.health.timeoutMs)}${config.health.scheme === 'https' ? (config.health.insecureSkipVerify ? ' (TLS not verified)' : ` (TLS verified against ${config.health.caFile ?? 'system CAs'})`) : ''}`,
  };
}
