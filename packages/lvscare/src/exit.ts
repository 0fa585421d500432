/** Exit statuses shared by the CLIs: 2 for input the operator must fix, 1 for the node's state. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Bad input: the message names the flag and the value; the process exits 2 having touched nothing. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
