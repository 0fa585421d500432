// Mistakes in kha's command line as operators make them, caught before the flags are read, each
// answered with what to type instead. Pure: words in, problems out.

export const COMMANDS = [
  'join',
  'adopt',
  'update',
  'reset',
  'manifest',
  'version',
  'help',
  'completion',
];

/** kubeadm join's own flags (kubeadm join --help, v1.30), which belong after `--`. */
const KUBEADM_JOIN_FLAGS = new Set([
  'token',
  'discovery-token',
  'discovery-token-ca-cert-hash',
  'discovery-token-unsafe-skip-ca-verification',
  'discovery-file',
  'tls-bootstrap-token',
  'control-plane',
  'certificate-key',
  'apiserver-advertise-address',
  'apiserver-bind-port',
  'cri-socket',
  'node-name',
  'ignore-preflight-errors',
  'skip-phases',
  'config',
  'patches',
]);

/** kubeadm's flags given to kha itself (before `--`). */
export function misplacedKubeadmFlags(args: readonly string[]): string[] {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end))
    .map((a) => /^--([a-z-]+)/.exec(a)?.[1])
    .filter((name): name is string => name !== undefined && KUBEADM_JOIN_FLAGS.has(name))
    .map(
      (name) =>
        `--${name} is kubeadm join's flag: give kubeadm's flags after --, e.g. kha join --master 192.168.0.2 --image IMAGE -- --${name} ...`,
    );
}

/** `kha help WORD` and `kha completion SHELL`: a word kha does not know is an error, not a page. */
export function topicProblem(argv: readonly string[]): string | undefined {
  const [first, second] = argv;
  if (first === 'help' && second !== undefined && !COMMANDS.includes(second))
    return `help: no command ${JSON.stringify(second)}: one of ${COMMANDS.join(', ')}`;
  if (
    first === 'completion' &&
    second !== undefined &&
    !second.startsWith('-') &&
    second !== 'bash'
  )
    return `completion: ${JSON.stringify(second)}: kha completes bash only (kha completion bash >> ~/.bashrc)`;
  return undefined;
}

export const COMPLETION_HELP = `kha completion [bash]

print the bash completion script: kha completion bash >> ~/.bashrc
(bash only; other shells: kha completion exits 2)
`;
