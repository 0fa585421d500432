// The kha CLI: join, reset, manifest, version. Bad input: one line, exit 2, nothing written.
import {
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  UsageError,
  VERSION,
  type CommandSpec,
  type FlagValue,
  type Flags,
  parseCommandLine,
} from '@kha/lvscare';
import { NetlinkError } from '@kha/netlink-ffi';
import { MANIFEST_HEADER, kubeadmJoin } from './join.js';
import { redactText } from './redact.js';
import { kubeadmReset } from './reset.js';
import { DEFAULTS, type RawKhaFlags, khaSettings, pathsOf, podSettings } from './settings.js';
import { renderManifest } from './static-pod.js';

const POD_FLAGS: Flags = {
  vip: {
    type: 'string',
    default: DEFAULTS.vip,
    describe: 'the virtual address (port 6443 unless given as addr:port)',
  },
  master: {
    type: 'list',
    describe: 'a control-plane address[:port] or IPv4 range a-b',
  },
  image: { type: 'string', default: DEFAULTS.image, describe: 'the lvscare image' },
  'ca-file': {
    type: 'string',
    default: DEFAULTS.caFile,
    describe: "the cluster CA the pod verifies masters' certificates with",
  },
  'lvscare-arg': {
    type: 'list',
    describe: 'a further `lvscare care` flag for the pod, e.g. --lvscare-arg=--mode=link',
  },
};

const PATH_FLAGS: Flags = {
  'manifest-dir': { type: 'string', default: DEFAULTS.manifestDir },
  'hosts-file': { type: 'string', default: DEFAULTS.hostsFile },
  'modules-load-dir': { type: 'string', default: DEFAULTS.modulesLoadDir },
  'sysctl-dir': { type: 'string', default: DEFAULTS.sysctlDir },
  'state-dir': {
    type: 'string',
    default: DEFAULTS.stateDir,
    describe: "kha's record of what join did, which reset undoes",
  },
  'dry-run': { type: 'boolean', default: false, describe: 'print every step, change nothing' },
};

const COMMANDS: CommandSpec[] = [
  {
    name: 'join',
    describe:
      'prepare this worker (hosts entry, IPVS rules, lvscare static pod), then kubeadm join through the VIP',
    flags: {
      ...POD_FLAGS,
      ...PATH_FLAGS,
      'skip-kubeadm': {
        type: 'boolean',
        default: false,
        describe: 'do everything but kubeadm join',
      },
      'ignore-control-plane-endpoint': {
        type: 'boolean',
        default: false,
        describe:
          "join even when the cluster's cluster-info sends kubelet to an API server other than apiserver.cluster.local (kubelet then bypasses the VIP)",
      },
    },
    rest: 'kubeadm join arguments',
  },
  {
    name: 'reset',
    describe:
      "undo kha join: the static pod, the IPVS rules and the mode's set-up, the hosts entry",
    flags: {
      ...PATH_FLAGS,
      wait: {
        type: 'string',
        default: '60',
        describe: 'seconds to wait for kubelet to stop lvscare',
      },
    },
  },
  {
    name: 'manifest',
    describe: 'print the kube-lvscare static pod manifest that join writes',
    flags: POD_FLAGS,
  },
  { name: 'version', describe: 'print the version', flags: {} },
];

async function runCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const parsed = parseCommandLine('kha', COMMANDS, argv);
  if ('help' in parsed) {
    out.write(parsed.help);
    return EXIT_OK;
  }
  const a = parsed.values;
  const flag = <T extends FlagValue>(name: string) => a[name] as T | undefined;
  switch (parsed.command.name) {
    case 'join': {
      const settings = await khaSettings(a as RawKhaFlags);
      return kubeadmJoin(
        settings,
        {
          dryRun: flag<boolean>('dryRun') ?? false,
          skipKubeadm: flag<boolean>('skipKubeadm') ?? false,
          checkControlPlaneEndpoint: !(flag<boolean>('ignoreControlPlaneEndpoint') ?? false),
          kubeadmArgs: parsed.rest,
        },
        out,
      );
    }
    case 'reset': {
      const paths = pathsOf(a as RawKhaFlags);
      const waitText = flag<string>('wait') ?? '60';
      const wait = Number(waitText);
      if (!(wait >= 0) || waitText.trim() === '')
        throw new UsageError(`--wait ${JSON.stringify(waitText)}: must be seconds, 0 or more`);
      return kubeadmReset(
        paths,
        {
          waitMs: wait * 1000,
          dryRun: flag<boolean>('dryRun') ?? false,
          stateDir: paths.stateDir,
        },
        out,
      );
    }
    case 'manifest': {
      const s = await podSettings(a as RawKhaFlags);
      out.write(renderManifest(s, MANIFEST_HEADER));
      return EXIT_OK;
    }
    default:
      out.write(`kha ${VERSION} (node ${process.version})\n`);
      return EXIT_OK;
  }
}

/** Runs the CLI and resolves with the exit status. */
export async function main(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  try {
    return await runCommand(argv, out);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`kha: ${redactText(err.message, argv)} (see kha --help)\n`);
      return EXIT_USAGE;
    }
    const text =
      err instanceof NetlinkError ? err.message : err instanceof Error ? err.message : String(err);
    process.stderr.write(`kha: ${redactText(text, argv)}\n`);
    return EXIT_FAILURE;
  }
}
