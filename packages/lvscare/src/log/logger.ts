import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { LogFormat } from '../config/care-config.js';

export type { Logger };

/** One line per event: "2026-11-23T17:20:00.000Z INFO master down master=10.0.0.11:6443". */
function textLine(record: Record<string, unknown>): string {
  const { time, level, msg, pid: _pid, hostname: _host, ...rest } = record;
  const fields = Object.entries(rest).map(
    ([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`,
  );
  const when = typeof time === 'number' ? new Date(time).toISOString() : String(time);
  return `${when} ${String(level).toUpperCase()} ${msg === undefined ? '' : typeof msg === 'string' ? msg : JSON.stringify(msg)}${fields.length ? ` ${fields.join(' ')}` : ''}\n`;
}

function textStream(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        try {
          out.write(textLine(JSON.parse(line) as Record<string, unknown>));
        } catch {
          out.write(`${line}\n`);
        }
      }
      done();
    },
  });
}

/** JSON lines by default (one event per line, level names, ISO time); text on request. */
export function createLogger(
  level: 'info' | 'debug',
  format: LogFormat,
  out: NodeJS.WritableStream = process.stderr,
): Logger {
  const options = {
    level,
    base: { name: 'lvscare' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (format === 'text') {
    return pino(
      { ...options, timestamp: pino.stdTimeFunctions.epochTime, base: undefined },
      textStream(out),
    );
  }
  return pino(options, out as pino.DestinationStream);
}
