// Durations as lvscare has always taken them: a bare integer is seconds ("5"), anything else is a
// Go-style duration ("500ms", "1m30s").

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  if (t === '' || !/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(t)) return undefined;
  let total = 0;
  for (const [, value, , unit] of t.matchAll(/(\d+(\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(value) * UNIT_MS[unit!]!;
  }
  return total;
}

/** "1.5s", "200ms", "2m0s": compact text for logs and help. */
export function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 1000 === 0) return `${Math.floor(ms / 60_000)}m${(ms % 60_000) / 1000}s`;
  if (ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}
