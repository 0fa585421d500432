/** Exit statuses shared by the CLIs: 2 for input the operator must fix, 1 for the node's state. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/**
 * Bad input: each problem names the flag and the value; the process exits 2 having touched
 * nothing. Every problem found is reported at once, one line each.
 */
export class UsageError extends Error {
  readonly problems: string[];
  constructor(problems: string | string[]) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super(list.join('; '));
    this.name = 'UsageError';
    this.problems = list;
  }
}

/** One line per problem on stderr, never a stack trace; resolves with the exit status. */
export function reportError(program: string, err: unknown, stderr: NodeJS.WritableStream): number {
  if (err instanceof UsageError) {
    err.problems.forEach((p, i) =>
      stderr.write(
        `${program}: ${p}${i === err.problems.length - 1 ? ` (see ${program} --help)` : ''}\n`,
      ),
    );
    return EXIT_USAGE;
  }
  stderr.write(`${program}: ${err instanceof Error ? err.message : String(err)}\n`);
  return EXIT_FAILURE;
}
