// `node healthz-sampler.js URL EVERY_MS DEADLINE_MS`: fetches URL every EVERY_MS until SIGTERM and
// prints one JSON line per sample ({at, ms}; ms null past the deadline). A process of its own, so
// that what a test does meanwhile (synchronous commands, writing a large registry file) never
// delays the clock that times the daemon's answers.
const [url, everyText, deadlineText] = process.argv.slice(2);
if (!url || !everyText || !deadlineText) {
  console.error('usage: healthz-sampler URL EVERY_MS DEADLINE_MS');
  process.exit(2);
}
const every = Number(everyText);
const deadline = Number(deadlineText);
let running = true;
process.on('SIGTERM', () => (running = false));
while (running) {
  const start = performance.now();
  let ms: number | null = null;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(deadline) });
    await res.text();
    if (res.ok) ms = performance.now() - start;
  } catch {
    // past the deadline, or refused: null
  }
  console.log(JSON.stringify({ at: new Date().toISOString(), ms }));
  await new Promise((r) => setTimeout(r, every));
}
