// The V8 flags the daemon runs under, and the one re-exec that applies them.
//
// A small young generation: lvscare allocates little per second, and the default lets the heap's
// nursery grow to tens of MiB of resident memory before collecting. No optimizing or baseline
// compiler, regular expressions left to the interpreter, sized for memory: their code and
// metadata cost resident memory that a daemon idle nearly all the time never earns back. This is
// what V8's --lite-mode stands for, less --jitless (under Node 20 it turns WebAssembly off with
// a warning on every start). bench/README.md has the figures.
//
// They are not on the entry point's first line because any V8 flag that differs from the ones
// Node's built-in code cache was made with makes Node compile its own modules from source at
// every start, a cost that grows as the CPU gets slower and that `lvscare ipvs list`, typed by
// hand in an incident, should not pay. So `care` re-executes itself once with them.
export const LEAN_V8_FLAGS: readonly string[] = [
  '--max-semi-space-size=1',
  '--no-opt',
  '--no-sparkplug',
  '--no-maglev',
  '--no-regexp-tier-up',
  '--optimize-for-size',
];

/** What the daemon's start needs to know of the running node. */
export interface Runtime {
  /** node's own flags (process.execArgv). */
  execArgv: readonly string[];
  /** process.execve, where the runtime has it (Node >= 22.15 and 23.11; the image's 24). */
  canReexec: boolean;
}

/**
 * The node flags to re-execute `care` with, or undefined to run as it is: when node was started
 * with flags of its own (the operator chose; the re-exec itself comes back with them), or when
 * the runtime cannot replace its process image (Node 20: the daemon then runs without them).
 */
export function leanReexecFlags(runtime: Runtime): readonly string[] | undefined {
  if (runtime.execArgv.length > 0 || !runtime.canReexec) return undefined;
  return LEAN_V8_FLAGS;
}

/** True when the command line runs the daemon: its first word that is not a flag is `care`. */
export function runsDaemon(argv: readonly string[]): boolean {
  return argv.find((arg) => !arg.startsWith('-')) === 'care';
}

type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;

/**
 * For `care`: replaces this process (same pid, so the container's PID 1 stays PID 1) with node
 * started under LEAN_V8_FLAGS, the same script and arguments. Returns when there is nothing to do.
 */
export function reexecLean(argv: readonly string[]): void {
  if (!runsDaemon(argv)) return;
  const execve = (process as unknown as { execve?: Execve }).execve;
  const flags = leanReexecFlags({ execArgv: process.execArgv, canReexec: execve !== undefined });
  if (!flags || !execve) return;
  const script = process.argv[1]!;
  execve.call(
    process,
    process.execPath,
    [process.execPath, ...flags, script, ...argv],
    process.env,
  );
}
