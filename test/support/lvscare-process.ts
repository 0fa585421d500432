// The real lvscare CLI as a child process, its JSON log lines collected.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LVSCARE_BIN } from './artifact.js';

export { LVSCARE_BIN };

export interface LogLine {
  level: string;
  msg: string;
  [k: string]: unknown;
}

export class LvscareProcess {
  readonly logs: LogLine[] = [];
  readonly stderrText: string[] = [];
  private child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private listeners: Array<() => void> = [];

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(LVSCARE_BIN, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    // Kept for post-mortems: kernel-tier.sh copies the VM share's logs to .cache/kernel-tier-logs.
    const logDir = process.env.KHA_VM_SHARE ? join(process.env.KHA_VM_SHARE, 'logs') : undefined;
    if (logDir) mkdirSync(logDir, { recursive: true });
    const logFile = logDir
      ? join(logDir, `lvscare-${Date.now()}-${this.child.pid}.log`)
      : undefined;
    if (logFile) appendFileSync(logFile, `# lvscare ${args.join(' ')}\n`);
    let buf = '';
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        this.stderrText.push(line);
        if (logFile) appendFileSync(logFile, `${line}\n`);
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          // not JSON: kept in stderrText
        }
        for (const l of this.listeners) l();
      }
    });
    this.child.stdout!.resume();
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Resolves with the first log line (already seen or to come) that matches. */
  waitForLog(match: (l: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.logs.find(match);
        if (hit) {
          cleanup();
          resolve(hit);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `no matching log line within ${timeoutMs}ms; last lines:\n${this.stderrText.slice(-15).join('\n')}`,
          ),
        );
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
      };
      const listener = (): void => void check();
      this.listeners.push(listener);
      check();
    });
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child.kill(signal);
  }
}
