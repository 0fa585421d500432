// Secrets in kubeadm's arguments never reach kha's output: the values of the flags below are
// replaced, in both the `--flag value` and the `--flag=value` forms. The CA hash is public.
import { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { UsageError } from '@kha/lvscare';

export const SECRET_FLAGS = [
  '--token',
  '--discovery-token',
  '--tls-bootstrap-token',
  '--certificate-key',
] as const;

export const REDACTED = '<redacted>';

/** The arguments as they may be shown. */
export function redactArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(0, eq) : a;
    if (!(SECRET_FLAGS as readonly string[]).includes(name)) {
      out.push(a);
    } else if (eq >= 0) {
      out.push(`${name}=${REDACTED}`);
    } else {
      out.push(a);
      if (i + 1 < args.length) {
        out.push(REDACTED);
        i++;
      }
    }
  }
  return out;
}

/** A text that may hold secret values (an error message quoting a command line): each removed. */
export function redactText(text: string, args: readonly string[]): string {
  let out = text;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(0, eq) : a;
    if (!(SECRET_FLAGS as readonly string[]).includes(name)) continue;
    const value = eq >= 0 ? a.slice(eq + 1) : args[i + 1];
    if (value) out = out.split(value).join(REDACTED);
  }
  return out;
}

/** An error as it may be reported: its message (each problem of a usage error) redacted. */
export function redactError(err: unknown, args: readonly string[]): unknown {
  if (err instanceof UsageError)
    return new UsageError(err.problems.map((p) => redactText(p, args)));
  if (err instanceof Error) return new Error(redactText(err.message, args));
  return redactText(String(err), args);
}

/**
 * A stream that passes text on line by line with `redactText` applied: kubeadm at a high `--v`
 * prints its join configuration, bootstrap token included. A value never spans a newline, so
 * holding back an unfinished line until its end (or the stream's) is enough.
 */
export function redactingLines(args: readonly string[]): Transform {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      pending += decoder.write(chunk);
      const end = pending.lastIndexOf('\n') + 1;
      const ready = pending.slice(0, end);
      pending = pending.slice(end);
      done(null, ready ? redactText(ready, args) : undefined);
    },
    flush(done) {
      pending += decoder.end();
      done(null, pending ? redactText(pending, args) : undefined);
    },
  });
}
