// The kha CLI: join, reset, manifest, update, version, help, completion. Bad input: one line per
// problem, exit 2, nothing written. Parsing only picks the command and checks its flags.
import { EXIT_OK, UsageError, formatEndpoint, VERSION, describeIssues } from '@kha/lvscare';
import {
  cliParser,
  helpAndCompletionWords,
  readPflagArgs,
  reportError,
  versionFlags,
  versionText,
  yargsOptions,
} from '@kha/lvscare/cli-kit';
import type { Argv } from 'yargs';
import * as z from 'zod/mini';
import { joinWorker } from './join.js';
import { MANIFEST_HEADER } from './manifest-step.js';
import { redactError } from './redact.js';
import { resetWorker } from './reset.js';
import { adoptWorker } from './adopt.js';
import { COMMAND_FLAGS } from './command-flags.js';
import { COMMANDS, COMPLETION_HELP, misplacedKubeadmFlags, topicProblem } from './command-line.js';
import {
  checkAdoptFlags,
  checkJoinFlags,
  checkPodFlags,
  pathsOf,
  resetFlags,
  updateFlags,
  withCare,
} from './settings.js';
import { renderManifest } from './static-pod.js';
import { updateWorker } from './update.js';

type Command = () => Promise<number>;

const IMAGE = 'registry.example.com/kha/lvscare:0.1.0';

/** Each command's Examples section: what an operator types for the common cases. */
const EXAMPLES: Record<string, Array<[string, string]>> = {
  join: [
    [
      `kha join --master 192.168.0.2-192.168.0.4 --image ${IMAGE} -- --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:...`,
      "a new worker: kubeadm's flags after --",
    ],
    [
      `kha join --master 192.168.0.2,192.168.0.3 --image ${IMAGE} --dry-run`,
      'what it would change',
    ],
  ],
  adopt: [
    [`kha adopt --master 192.168.0.2-192.168.0.4 --image ${IMAGE} --dry-run`, 'the diffs first'],
    [`kha adopt --master 192.168.0.2-192.168.0.4 --image ${IMAGE}`, 'a worker kubeadm joined'],
  ],
  update: [
    ['kha update --master 192.168.0.5-192.168.0.7 --dry-run', 'new masters: the diffs first'],
    ['kha update --image registry.example.com/kha/lvscare:0.2.0', 'an upgrade of lvscare'],
  ],
  reset: [
    ['kha reset --dry-run', 'what it would undo'],
    ['kha reset --wait 5m', 'allow kubelet 5 minutes to stop lvscare'],
  ],
  manifest: [[`kha manifest --master 192.168.0.2-192.168.0.4 --image ${IMAGE}`, 'print it']],
};

/** The flag values of a command, checked by its schema; every problem at once. */
function checked<S extends z.ZodMiniType>(schema: S, values: unknown): z.output<S> {
  const parsed = schema.safeParse(values, { reportInput: true });
  if (!parsed.success) throw new UsageError(describeIssues(parsed.error.issues));
  return parsed.data;
}

/** Runs the CLI and resolves with the exit status. */
export async function main(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  try {
    const command = await parseCommand(argv, out, err);
    return command ? await command() : EXIT_OK;
  } catch (e) {
    // A problem with a command's flags points at that command's help.
    const command = COMMAND_FLAGS[argv[0] ?? ''] ? `kha ${argv[0]}` : 'kha';
    return reportError(command, redactError(e, argv), err);
  }
}

async function parseCommand(
  argv: string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<Command | undefined> {
  const topic = topicProblem(argv);
  if (topic) throw new UsageError(topic);
  if (argv[0] === 'completion' && argv.some((a) => a === '--help' || a === '-h')) {
    out.write(COMPLETION_HELP);
    return undefined;
  }
  const args = helpAndCompletionWords(argv);
  const flags = COMMAND_FLAGS[args[0] ?? ''];
  const read = flags ? readPflagArgs(args.slice(1), flags) : undefined;
  if (read && read.problems.length > 0) throw new UsageError(read.problems);
  if (args[0] === 'join' || args[0] === 'adopt') {
    const misplaced = misplacedKubeadmFlags(args.slice(1));
    if (misplaced.length > 0) throw new UsageError(misplaced);
  }
  // join and manifest read --kubeconfig for discovery alone; adopt also rewrites it.
  if (
    read &&
    (args[0] === 'join' || args[0] === 'manifest') &&
    read.given.has('kubeconfig') &&
    read.args.some((a) => a === '--no-discover' || a === '--discover=false')
  )
    throw new UsageError(
      '--kubeconfig is read only by discovery, which --no-discover turns off: drop one of them',
    );
  const warn = (line: string) => err.write(`kha: warning: ${line}\n`);
  const withFlags = (name: string) => (y: Argv) =>
    (EXAMPLES[name] ?? []).reduce(
      (p, [example, what]) => p.example(example, what),
      // --version belongs to kha, not to a command: `kha join --version` is an unknown flag.
      y.options(yargsOptions(COMMAND_FLAGS[name] ?? [])).version(false),
    );
  let chosen: Command | undefined;
  await cliParser(
    'kha',
    read ? [args[0]!, ...read.args] : args,
    VERSION,
    (flags ?? []).map(([n]) => n),
  )
    .usage('kha <command> [flags]: node-local API server load balancing for kubeadm workers')
    .command(
      'join',
      'prepare this worker (hosts entry, IPVS rules, lvscare static pod), then kubeadm join through the VIP; kubeadm join arguments after --',
      withFlags('join'),
      (a) => {
        const { pod, ...f } = checkJoinFlags(a);
        const kubeadmArgs = (Array.isArray(a['--']) ? a['--'] : []).map(String);
        chosen = async () => {
          const settings = { ...(await withCare(pod, warn)), ...pathsOf(f) };
          return joinWorker(
            settings,
            {
              dryRun: f.dryRun,
              skipKubeadm: f.skipKubeadm,
              checkControlPlaneEndpoint: !f.ignoreControlPlaneEndpoint,
              force: f.force,
              kubeadmArgs,
            },
            out,
          );
        };
      },
    )
    .command(
      'adopt',
      "take over a worker kubeadm already joined: join's steps without kubeadm, then, once the VIP serves the API, kubelet's kubeconfig pointed at it and kubelet restarted",
      withFlags('adopt'),
      (a) => {
        const { pod, force, restartKubelet, kubeconfig, ...f } = checkAdoptFlags(a);
        chosen = async () =>
          adoptWorker(
            { ...(await withCare(pod, warn)), ...pathsOf(f) },
            { dryRun: f.dryRun, force, kubeconfig, restartKubelet },
            out,
          );
      },
    )
    .command(
      'reset',
      "undo kha join: the static pod, the IPVS rules and the mode's set-up, the hosts entry",
      withFlags('reset'),
      (a) => {
        const f = checked(z.object(resetFlags()), a);
        chosen = async () => {
          const paths = pathsOf(f);
          return resetWorker(
            paths,
            {
              waitMs: f.wait,
              dryRun: f.dryRun,
              stateDir: paths.stateDir,
              restartKubelet: f.restartKubelet,
              force: f.force,
              kubeconfig: f.kubeconfig,
            },
            out,
          );
        };
      },
    )
    .command(
      'manifest',
      'print the kube-lvscare static pod manifest that join writes',
      withFlags('manifest'),
      (a) => {
        const pod = checkPodFlags(a);
        chosen = async () => {
          out.write(renderManifest(await withCare(pod, warn), MANIFEST_HEADER));
          return EXIT_OK;
        };
      },
    )
    .command(
      'update',
      'change what kha join or adopt set up: only the flags given (--master, --image, --metrics-address, --lvscare-arg), the rest as recorded; kubelet replaces the pod',
      withFlags('update'),
      (a) => {
        const f = checked(z.object(updateFlags()), a);
        chosen = () =>
          updateWorker(
            {
              master: f.master,
              image: f.image,
              metricsAddress: f.metricsAddress,
              lvscareArg: f.lvscareArg,
            },
            {
              stateDir: f.stateDir,
              vip: f.vip && formatEndpoint(f.vip),
              dryRun: f.dryRun,
              force: f.force,
            },
            out,
            warn,
          );
      },
    )
    .command('version', 'print the version', versionFlags, (a) => {
      chosen = () => {
        out.write(versionText('kha', VERSION, a.short));
        return Promise.resolve(EXIT_OK);
      };
    })
    .command('help [command..]', 'show the help of a command, e.g. kha help join')
    .demandCommand(1, `name a command: ${COMMANDS.join(', ')}`)
    .parseAsync();
  return chosen;
}
