// Durations as lvscare has always taken them: a bare integer is seconds ("5", as Go's Atoi reads
// it), anything else is a Go duration ("500ms", "1m30s", ".5s"; time.ParseDuration's units).

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5, as Go spells it
  μs: 1e-3, // U+03BC, which Go also takes
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const GO_DURATION = /^[+-]?((\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/;

/** Milliseconds, or undefined when the text is not a duration or does not fit a finite number. */
export function parseDuration(text: string): number | undefined {
  let ms: number;
  if (/^[+-]?\d+$/.test(text)) ms = Number(text) * 1000;
  else if (text === '0' || /^[+-]?0$/.test(text)) ms = 0;
  else if (GO_DURATION.test(text)) {
    ms = 0;
    for (const [, value, unit] of text.matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
      ms += Number(value) * UNIT_MS[unit!]!;
    }
    if (text.startsWith('-')) ms = -ms;
  } else return undefined;
  return Number.isFinite(ms) ? ms : undefined;
}

/** "1.5s", "200ms", "2m0s": compact text for logs and help. */
export function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 60_000 === 0)
    return `${Math.floor(ms / 3_600_000)}h${(ms % 3_600_000) / 60_000}m0s`;
  if (ms >= 60_000 && ms % 1000 === 0) return `${Math.floor(ms / 60_000)}m${(ms % 60_000) / 1000}s`;
  if (ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}
