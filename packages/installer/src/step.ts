// A change kha makes to a node, as a step: what it would change (its plan, read from the node and
// kha's record), the change, and its undo. join, adopt and update run steps forward; reset runs
// the undos of the recorded steps in reverse. Every apply and undo changes nothing when run again,
// so a command interrupted anywhere is finished by running it again.
import { EXIT_FAILURE, EXIT_OK } from '@kha/lvscare';

/** The steps a record can name, in the order join and adopt apply them. */
export type StepName =
  | 'preflight'
  | 'foreign-manifest'
  | 'hosts'
  | 'rules'
  | 'boot-files'
  | 'manifest'
  | 'masters-file'
  | 'kubeadm'
  | 'kubeconfig';

export interface Step {
  name: StepName;
  title: string;
  /** What apply would change (a unified diff for a file); [] when nothing. Reads only. */
  plan(): Promise<string[]>;
  /** Makes the change; says what it did. */
  apply(): Promise<string[]>;
  /** What undo would change. Reads only. */
  undoPlan(): Promise<string[]>;
  /** Takes the change back; says what it did. */
  undo(): Promise<string[]>;
}

/** The node is not fit for a step: the command stops before it changes anything. */
export class Refusal extends Error {}

/** A step (kubeadm, kubelet) ran and failed: the command exits with its status. */
export class StepFailed extends Error {
  constructor(
    message: string,
    readonly status: number = EXIT_FAILURE,
  ) {
    super(message);
  }
}

/** kha's record of the command: written once every plan holds, before the first change. */
export interface RecordWrite {
  plan(): Promise<string[]>;
  write(): Promise<void>;
}

type Say = (line: string) => void;
const indented = (say: Say) => (lines: string[]) => {
  for (const l of lines) for (const part of l.split('\n')) say(`  ${part}`);
};

/** Whether a step has nothing to do: shown as such instead of an empty plan. */
const orNothing = (lines: string[]): string[] => (lines.length > 0 ? lines : ['nothing to change']);

/**
 * Plans every step (a refusal anywhere stops the command with nothing changed); with dryRun
 * prints the plans, else records the command and applies the steps in order.
 */
export async function applySteps(
  command: string,
  steps: Step[],
  record: RecordWrite,
  options: { dryRun: boolean },
  say: Say,
): Promise<number> {
  const show = indented(say);
  const heading = (i: number, s: Step) => say(`[${i + 1}/${steps.length}] ${s.title}`);
  const plans: string[][] = [];
  for (const [i, s] of steps.entries()) {
    try {
      plans.push(await s.plan());
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      if (options.dryRun)
        steps.slice(0, i).forEach((p, k) => (heading(k, p), show(orNothing(plans[k]!))));
      heading(i, s);
      show(err.message.split('\n'));
      say(`kha ${command}: ${s.title} refused; nothing was changed`);
      return EXIT_FAILURE;
    }
  }
  if (options.dryRun) {
    steps.forEach((s, i) => (heading(i, s), show(orNothing(plans[i]!))));
    say("kha's record");
    show(orNothing(await record.plan()));
    say('dry run: nothing was changed');
    return EXIT_OK;
  }
  await record.write();
  for (const [i, s] of steps.entries()) {
    heading(i, s);
    try {
      show(await s.apply());
    } catch (err) {
      if (!(err instanceof StepFailed)) throw err;
      show([err.message]);
      return err.status;
    }
  }
  return EXIT_OK;
}

/** The undos of `steps` (given in the order they were applied), last step first. */
export async function undoSteps(
  steps: Step[],
  options: { dryRun: boolean },
  say: Say,
): Promise<number> {
  const show = indented(say);
  const reversed = [...steps].reverse();
  for (const [i, s] of reversed.entries()) {
    say(`[${i + 1}/${reversed.length}] ${s.title}`);
    try {
      show(orNothing(options.dryRun ? await s.undoPlan() : await s.undo()));
    } catch (err) {
      if (!(err instanceof StepFailed || err instanceof Refusal)) throw err;
      show(err.message.split('\n'));
      return err instanceof StepFailed ? err.status : EXIT_FAILURE;
    }
  }
  return EXIT_OK;
}
