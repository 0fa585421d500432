// The kha CLI: join, reset, manifest, version. Bad input: one line, exit 2, nothing written.
import {
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  UsageError,
  VERSION,
  careConfigOf,
  commandLine,
  formatEndpoint,
} from '@kha/lvscare';
import { NetlinkError } from '@kha/netlink-ffi';
import type { Argv } from 'yargs';
import { MANIFEST_HEADER, kubeadmJoin } from './join.js';
import { resetConfig, kubeadmReset } from './reset.js';
import {
  DEFAULTS,
  type RawKhaFlags,
  khaSettings,
  pathsOf,
  podSettings,
  stringList,
} from './settings.js';
import { renderManifest } from './static-pod.js';
import { parseVip } from './vip.js';
import { DEFAULT_VIP } from './vip.js';

function podOptions<T>(y: Argv<T>) {
  return y
    .option('vip', {
      type: 'string',
      default: DEFAULTS.vip,
      describe: 'the virtual address (port 6443 unless given as addr:port)',
    })
    .option('master', {
      type: 'array',
      string: true,
      describe: 'a control-plane address[:port] or IPv4 range a-b; repeat for each',
    })
    .option('image', { type: 'string', default: DEFAULTS.image, describe: 'the lvscare image' })
    .option('ca-file', {
      type: 'string',
      default: DEFAULTS.caFile,
      describe: "the cluster CA the pod verifies masters' certificates with",
    })
    .option('lvscare-arg', {
      type: 'array',
      string: true,
      describe: 'a further `lvscare care` flag for the pod, e.g. --lvscare-arg=--mode=link',
    });
}

function pathOptions<T>(y: Argv<T>) {
  return y
    .option('manifest-dir', { type: 'string', default: DEFAULTS.manifestDir })
    .option('hosts-file', { type: 'string', default: DEFAULTS.hostsFile })
    .option('modules-load-dir', { type: 'string', default: DEFAULTS.modulesLoadDir })
    .option('sysctl-dir', { type: 'string', default: DEFAULTS.sysctlDir })
    .option('dry-run', {
      type: 'boolean',
      default: false,
      describe: 'print every step, change nothing',
    });
}

type Command = () => Promise<number>;

async function parseCommand(
  argv: string[],
  out: NodeJS.WritableStream,
): Promise<Command | undefined> {
  let chosen: Command | undefined;
  await commandLine(argv, 'kha')
    .parserConfiguration({ 'populate--': true })
    .command(
      'join',
      'prepare this worker (hosts entry, IPVS rules, lvscare static pod), then kubeadm join through the VIP; kubeadm arguments after --',
      (y) =>
        pathOptions(podOptions(y)).option('skip-kubeadm', {
          type: 'boolean',
          default: false,
          describe: 'do everything but kubeadm join',
        }),
      async (a) => {
        const settings = await khaSettings(a as RawKhaFlags);
        const kubeadmArgs = stringList((a as { '--'?: Array<string | number> })['--']);
        chosen = () =>
          kubeadmJoin(settings, { dryRun: a.dryRun, skipKubeadm: a.skipKubeadm, kubeadmArgs }, out);
      },
    )
    .command(
      'reset',
      "undo kha join: the static pod, the IPVS rules and the mode's set-up, the hosts entry",
      (y) =>
        pathOptions(y)
          .option('vip', {
            type: 'string',
            default: DEFAULTS.vip,
            describe: 'used when the manifest is gone',
          })
          .option('lvscare-arg', {
            type: 'array',
            string: true,
            describe:
              'lvscare flags join was given (--mode, --iface), used when the manifest is gone',
          })
          .option('wait', {
            type: 'number',
            default: 60,
            describe: 'seconds to wait for kubelet to stop lvscare',
          }),
      async (a) => {
        if ((a as { '--'?: unknown[] })['--']?.length)
          throw new UsageError('kha reset takes no arguments after --');
        const paths = pathsOf(a as RawKhaFlags);
        const config = await resetConfig(paths, async () => {
          const vip = parseVip(a.vip ?? DEFAULT_VIP, []);
          return careConfigOf([
            '--vs',
            formatEndpoint(vip),
            '--clean',
            ...stringList(a.lvscareArg),
          ]);
        });
        if (!(a.wait >= 0)) throw new UsageError(`--wait ${a.wait}: must be seconds, 0 or more`);
        chosen = () =>
          kubeadmReset(paths, config, { waitMs: a.wait * 1000, dryRun: a.dryRun }, out);
      },
    )
    .command(
      'manifest',
      'print the kube-lvscare static pod manifest that join writes',
      (y) => podOptions(y),
      async (a) => {
        const s = await podSettings(a as RawKhaFlags);
        chosen = async () => {
          out.write(renderManifest(s, MANIFEST_HEADER));
          return EXIT_OK;
        };
      },
    )
    .command('version', 'print the version', {}, () => {
      chosen = async () => {
        out.write(`kha ${VERSION} (node ${process.version})\n`);
        return EXIT_OK;
      };
    })
    .demandCommand(1, 'name a command: join, reset, manifest, version')
    .parseAsync();
  return chosen;
}

/** Runs the CLI and resolves with the exit status. */
export async function main(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  try {
    const command = await parseCommand(argv, out);
    return command ? await command() : EXIT_OK;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`kha: ${err.message} (see kha --help)\n`);
      return EXIT_USAGE;
    }
    const text =
      err instanceof NetlinkError ? err.message : err instanceof Error ? err.message : String(err);
    process.stderr.write(`kha: ${text}\n`);
    return EXIT_FAILURE;
  }
}
