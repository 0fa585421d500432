// kha's flags, one zod schema each (type, default, constraint, message), checked into settings
// before anything is touched: every problem here is bad input (exit 2), reported at once, and
// nothing has been written yet. The file system is looked at only after the flags are valid.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  CARE_FLAGS,
  type CareConfig,
  UsageError,
  describeIssues,
  formatEndpoint,
  parseCareArgs,
  parseDuration,
  parseCidr,
  parseEndpoint,
} from '@kha/lvscare';
import {
  flag,
  flagWithDefault,
  list,
  readPflagArgs,
  text,
  whenParsed,
  why,
} from '@kha/lvscare/cli-kit';
import * as z from 'zod/mini';
import { mastersIn, mastersProblems } from './masters.js';
import { DEFAULT_STATE_DIR } from './state.js';
import { formatMetricsAddress } from './metrics-address.js';
import {
  DISCOVERY_STATE_FILE,
  KUBELET_CERT_DIR,
  KUBELET_KUBECONFIG,
  LIVENESS,
  type PodDiscovery,
} from './static-pod.js';
import { DEFAULT_VIP, vipClash, vipOf } from './vip.js';

const imageReference = (t: string) =>
  /^[a-z0-9][\w.\-/:@]*$/i.test(t) ? t : why('not an image reference');

/** --image has no default: a name kha does not publish would be pulled from whoever does. */
const IMAGE_REQUIRED =
  'is required: the lvscare image your nodes can pull. Build it with `npm run image` (it writes dist/lvscare-image.tar), push it to your registry or load it on each node (ctr -n k8s.io images import dist/lvscare-image.tar), and give that name';

const absolute = (t: string) => (t.startsWith('/') ? t : why('must be an absolute path'));
const path = (t: string) => (t !== '' ? t : why('must not be empty'));

/** The flags of `kha join` and `kha manifest` that shape the static pod and the rules. */
export const podFlags = () => ({
  vip: flagWithDefault(
    {
      kind: 'string',
      default: DEFAULT_VIP,
      describe: 'the virtual address (port 6443 unless given as addr:port)',
    },
    text(vipOf),
  ),
  master: flagWithDefault(
    {
      kind: 'list',
      default: [],
      describe:
        'a control-plane address[:port] or IPv4 range a-b, several comma-separated (required)',
    },
    list(mastersIn),
  ),
  image: flag(
    {
      kind: 'string',
      describe:
        'the lvscare image as kubelet pulls it, e.g. registry.example.com/kha/lvscare:0.1.0 (required)',
    },
    text(imageReference),
  ),
  caFile: flagWithDefault(
    {
      kind: 'string',
      default: '/etc/kubernetes/pki/ca.crt',
      describe: "the cluster CA the pod verifies masters' certificates with",
    },
    text(absolute),
  ),
  metricsAddress: flagWithDefault(
    {
      kind: 'string',
      default: '0.0.0.0:9299',
      describe:
        "ADDR:PORT of lvscare's /metrics, /healthz, /readyz in the pod (:PORT: every address)",
    },
    text((t) => {
      // Go's exporters take ":9299" for every address; so does kha.
      const e =
        parseEndpoint(t.startsWith(':') ? `0.0.0.0${t}` : t) ??
        why('not an ADDR:PORT or :PORT (IPv6 as [addr]:port)');
      return { host: e.address, port: e.port };
    }),
  ),
  lvscareArg: flagWithDefault(
    {
      kind: 'list',
      default: [],
      describe: 'a further `lvscare care` flag for the pod, e.g. --lvscare-arg=--mode=link',
    },
    z.array(z.string()),
  ),
  discover: flagWithDefault(
    {
      kind: 'boolean',
      default: true,
      describe:
        "follow the control plane's own list of API servers with the kubelet's credentials (--no-discover: --master alone)",
    },
    z.boolean(),
  ),
  kubeconfig: flagWithDefault(
    {
      kind: 'string',
      default: KUBELET_KUBECONFIG,
      describe:
        "the kubelet's kubeconfig: discovery reads the API with it; adopt points it at the VIP",
    },
    text(absolute),
  ),
  discoverStateFile: flagWithDefault(
    {
      kind: 'string',
      default: DISCOVERY_STATE_FILE,
      describe: "lvscare's discovered masters; its directory is the pod's one writable mount",
    },
    text(absolute),
  ),
  discoverCidr: flag(
    { kind: 'string', describe: 'ignore discovered masters outside this CIDR' },
    text((t) => (t === '' ? undefined : parseCidr(t) ? t : why('not a CIDR, e.g. 10.0.0.0/24'))),
  ),
});

/** Where kha writes, for join and reset. */
const pathFlags = () => ({
  manifestDir: flagWithDefault(
    {
      kind: 'string',
      default: '/etc/kubernetes/manifests',
      describe: 'where kubelet reads static pods',
    },
    text(path),
  ),
  hostsFile: flagWithDefault(
    { kind: 'string', default: '/etc/hosts', describe: 'the hosts file' },
    text(path),
  ),
  modulesLoadDir: flagWithDefault(
    { kind: 'string', default: '/etc/modules-load.d', describe: 'kernel modules to load at boot' },
    text(path),
  ),
  sysctlDir: flagWithDefault(
    { kind: 'string', default: '/etc/sysctl.d', describe: 'sysctls to set at boot' },
    text(path),
  ),
  stateDir: flagWithDefault(
    {
      kind: 'string',
      default: DEFAULT_STATE_DIR,
      describe: "kha's record of what join did, which reset undoes",
    },
    text(path),
  ),
  dryRun: flagWithDefault(
    { kind: 'boolean', default: false, describe: 'print every step, change nothing' },
    z.boolean(),
  ),
});

/** The flags of `kha join` beside the pod's. */
const joinOnlyFlags = () => ({
  ...pathFlags(),
  skipKubeadm: flagWithDefault(
    { kind: 'boolean', default: false, describe: 'do everything but kubeadm join' },
    z.boolean(),
  ),
  force: forceFlag(),
  ignoreControlPlaneEndpoint: flagWithDefault(
    {
      kind: 'boolean',
      default: false,
      describe:
        "join even when the cluster's cluster-info sends kubelet to an API server other than apiserver.cluster.local (kubelet then bypasses the VIP)",
    },
    z.boolean(),
  ),
});

export const joinFlags = () => ({ ...podFlags(), ...joinOnlyFlags() });

const forceFlag = () =>
  flagWithDefault(
    {
      kind: 'boolean',
      default: false,
      describe: `replace a kube-lvscare.yaml kha did not write (kept beside kha's record; reset puts it back)`,
    },
    z.boolean(),
  );

/** The flags of `kha update`: the four it changes (absent: kept as recorded), and where the record is. */
export const updateFlags = () => ({
  master: flag(
    { kind: 'list', describe: 'the control-plane addresses, replacing the recorded ones' },
    z.array(z.string()),
  ),
  image: flag(
    { kind: 'string', describe: 'the lvscare image, replacing the recorded one (an upgrade)' },
    text(imageReference),
  ),
  metricsAddress: flag(
    { kind: 'string', describe: "ADDR:PORT of lvscare's endpoints, replacing the recorded one" },
    z.string(),
  ),
  lvscareArg: flag(
    { kind: 'list', describe: 'further `lvscare care` flags, replacing the recorded ones' },
    z.array(z.string()),
  ),
  vip: flag(
    { kind: 'string', describe: 'which recorded VIP to update, when the node has several' },
    text(vipOf),
  ),
  stateDir: pathFlags().stateDir,
  dryRun: flagWithDefault(
    {
      kind: 'boolean',
      default: false,
      describe: 'print a diff of every file it would write, change nothing',
    },
    z.boolean(),
  ),
  force: forceFlag(),
});

const restartKubeletFlag = () =>
  flagWithDefault(
    {
      kind: 'boolean',
      default: true,
      describe:
        'restart kubelet (systemctl restart kubelet) after its kubeconfig changed; --no-restart-kubelet prints the command instead',
    },
    z.boolean(),
  );

/** The flags of `kha adopt` beside the pod's; --kubeconfig is the file it re-points. */
const adoptOnlyFlags = () => ({
  ...pathFlags(),
  force: forceFlag(),
  restartKubelet: restartKubeletFlag(),
  // The pod's flag, read here too: with --no-discover the pod drops it, adopt still rewrites it.
  kubeconfig: podFlags().kubeconfig,
});

export const adoptFlags = () => ({ ...podFlags(), ...adoptOnlyFlags() });

/** Every flag of `kha adopt` checked, the pod's and the rest's problems reported together. */
export function checkAdoptFlags(values: Readonly<Record<string, unknown>>) {
  const pod = podSchema.safeParse(values, { reportInput: true });
  const rest = z.object(adoptOnlyFlags()).safeParse(values, { reportInput: true });
  const issues = [...(pod.error?.issues ?? []), ...(rest.error?.issues ?? [])];
  if (!pod.success || !rest.success) throw new UsageError(describeIssues(issues));
  return { pod: pod.data, ...rest.data };
}

export const resetFlags = () => ({
  ...pathFlags(),
  restartKubelet: restartKubeletFlag(),
  force: flagWithDefault(
    {
      kind: 'boolean',
      default: false,
      describe:
        'reset even while a running kubelet reaches the API through the VIP (the node goes NotReady)',
    },
    z.boolean(),
  ),
  kubeconfig: flagWithDefault(
    {
      kind: 'string',
      default: KUBELET_KUBECONFIG,
      describe: "the kubelet's kubeconfig reset looks at before it takes the VIP away",
    },
    text(absolute),
  ),
  wait: flagWithDefault(
    {
      kind: 'string',
      default: '60s',
      describe: 'how long to wait for kubelet to stop lvscare: a duration (90s, 5m) or seconds',
    },
    text((t) => {
      const ms = parseDuration(t);
      return ms !== undefined && ms >= 0 && ms <= 3_600_000
        ? ms
        : why('must be a duration from 0s to 1h, e.g. 90s or 5m (a bare number is seconds)');
    }),
  ),
});

type Issue = { code: 'custom'; path: string[]; input: unknown; message: string };
const issue = (flagName: string, input: unknown, message: string): Issue => ({
  code: 'custom',
  path: [flagName],
  input,
  message,
});

/** The pod flags checked together: masters read (ranges expanded), the VIP beside them. */
const podSchema = z.pipe(
  z.object(podFlags()).check(
    z.superRefine((f, ctx) => {
      if (f.image === undefined) ctx.issues.push(issue('image', undefined, IMAGE_REQUIRED));
    }),
    // across values: whenever the flags they read parsed, whatever else did not
    z.superRefine(
      (f, ctx) => {
        for (const [v, message] of mastersProblems(f.master))
          ctx.issues.push(issue('master', v, message));
      },
      { when: whenParsed(['master']) },
    ),
    z.superRefine(
      (f, ctx) => {
        for (const [name, v, message] of vipClash(f.vip, f.master.flat()))
          ctx.issues.push(issue(name, v, message));
      },
      { when: whenParsed(['vip', 'master']) },
    ),
  ),
  z.transform((f) => ({
    vip: f.vip,
    masters: f.master.flat(),
    image: f.image ?? '', // required above: a missing one never gets here
    caFile: f.caFile,
    metricsAddress: f.metricsAddress,
    lvscareArgs: f.lvscareArg,
    discovery: f.discover
      ? ({
          kubeconfig: f.kubeconfig,
          certDir: KUBELET_CERT_DIR,
          stateFile: f.discoverStateFile,
          cidr: f.discoverCidr,
        } satisfies PodDiscovery)
      : undefined,
  })),
);

export type PodSettings = PodFlags & {
  /** What lvscare runs with: the rules step uses it exactly as `lvscare care --run-once`. */
  care: CareConfig;
};

/** Flags kha sets itself in the pod, by lvscare's canonical names, and the kha flag that does. */
const OWN_FLAGS: Record<string, string> = {
  vs: '--vip',
  rs: '--master',
  'run-once': 'kha join creates the rules itself',
  clean: 'kha reset removes them',
  'health-ca-file': '--ca-file',
  'metrics-address': '--metrics-address',
  'liveness-address': "kubelet's probes, at 127.0.0.1:9298",
  kubeconfig: '--kubeconfig (with --discover)',
  'discover-cidr': '--discover-cidr',
  'discover-state-file': '--discover-state-file',
};

/**
 * lvscare's own reading and checks of the flags it will run with, reported as kha's. A flag kha
 * sets itself is refused by its canonical name, whatever the spelling (-C, --clean=t, --no-clean).
 */
async function lvscareConfig(
  pod: Pick<PodSettings, 'vip' | 'masters' | 'metricsAddress' | 'lvscareArgs' | 'discovery'>,
  warn: (line: string) => void = () => {},
): Promise<CareConfig> {
  const prefix = (p: string) => `--lvscare-arg: ${p}`;
  const given = readPflagArgs(pod.lvscareArgs, CARE_FLAGS).given;
  const conflicts = Object.entries(OWN_FLAGS)
    .filter(([name]) => given.has(name))
    .map(([name, own]) =>
      prefix(`--${name} conflicts with what kha sets itself (${own}); use that instead`),
    );
  if (conflicts.length > 0) throw new UsageError(conflicts);
  const metrics = pod.metricsAddress;
  try {
    const d = pod.discovery;
    const { config, notes } = await parseCareArgs([
      '--vs',
      formatEndpoint(pod.vip),
      ...pod.masters.flatMap((m) => ['--rs', formatEndpoint(m)]),
      '--metrics-address',
      formatMetricsAddress(metrics),
      '--liveness-address',
      `${LIVENESS.host}:${LIVENESS.port}`,
      ...(d ? ['--kubeconfig', d.kubeconfig, '--discover-state-file', d.stateFile] : []),
      ...(d?.cidr ? ['--discover-cidr', d.cidr] : []),
      ...pod.lvscareArgs,
    ]);
    for (const note of notes) warn(prefix(note));
    return config;
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(err.problems.map(prefix));
    throw err;
  }
}

/** What the static pod and the rules are made from, from the flag values (PodFlagValues). */
/** The pod flags checked (every problem at once), before lvscare's own checks. */
export function checkPodFlags(values: Readonly<Record<string, unknown>>): PodFlags {
  const parsed = podSchema.safeParse(values, { reportInput: true });
  if (!parsed.success) throw new UsageError(describeIssues(parsed.error.issues));
  return parsed.data;
}

type PodFlags = z.output<typeof podSchema>;

/** Every flag of `kha join` checked, the pod's and the rest's problems reported together. */
export function checkJoinFlags(values: Readonly<Record<string, unknown>>) {
  const pod = podSchema.safeParse(values, { reportInput: true });
  const rest = z.object(joinOnlyFlags()).safeParse(values, { reportInput: true });
  const issues = [...(pod.error?.issues ?? []), ...(rest.error?.issues ?? [])];
  if (!pod.success || !rest.success) throw new UsageError(describeIssues(issues));
  return { pod: pod.data, ...rest.data };
}

/** The pod flags with what lvscare will run with: the static pod and the rules are made from it. */
export async function withCare(pod: PodFlags, warn?: (line: string) => void): Promise<PodSettings> {
  return { ...pod, care: await lvscareConfig(pod, warn) };
}

/** What the static pod and the rules are made from, from the flag values (PodFlagValues). */
export async function podSettings(
  values: Readonly<Record<string, unknown>>,
  warn?: (line: string) => void,
): Promise<PodSettings> {
  return withCare(checkPodFlags(values), warn);
}

export interface Paths {
  manifestDir: string;
  hostsFile: string;
  modulesLoadDir: string;
  sysctlDir: string;
  /** kha's own record of what join did (state.json), read by reset. */
  stateDir: string;
}

export type KhaSettings = PodSettings & Paths;

/** A directory kha can create files in: it exists (or its nearest existing parent does) and is writable. */
function writableDirProblem(flagName: string, dir: string): string | undefined {
  let p = resolve(dir);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      const up = dirname(p);
      if (up === p) return undefined;
      p = up;
      continue;
    }
    if (!isDir) return `--${flagName} ${JSON.stringify(dir)}: ${p} is not a directory`;
    try {
      accessSync(p, constants.W_OK);
    } catch (err) {
      const code = err instanceof Error && 'code' in err ? String(err.code) : String(err);
      return `--${flagName} ${JSON.stringify(dir)}: ${p} is not writable (${code}); run as root on a writable file system`;
    }
    return undefined;
  }
}

function hostsFileProblem(file: string): string | undefined {
  let regular: boolean;
  try {
    regular = statSync(file).isFile();
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : String(err);
    return `--hosts-file ${JSON.stringify(file)}: cannot be read (${code})`;
  }
  if (!regular) return `--hosts-file ${JSON.stringify(file)}: not a regular file`;
  return writableDirProblem('hosts-file', dirname(file));
}

/** The paths, once the flags are valid: every one that will not do is reported at once. */
export function pathsOf(paths: Paths): Paths {
  const problems = [
    hostsFileProblem(paths.hostsFile),
    writableDirProblem('manifest-dir', paths.manifestDir),
    writableDirProblem('modules-load-dir', paths.modulesLoadDir),
    writableDirProblem('sysctl-dir', paths.sysctlDir),
    writableDirProblem('state-dir', paths.stateDir),
  ].filter((x): x is string => x !== undefined);
  if (problems.length > 0) throw new UsageError(problems);
  return paths;
}
