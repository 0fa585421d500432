// One flooding process of the metrics-port flood (bench/liveness-flood.ts, and the pod's kernel
// test), run as an unprivileged user: `scrape` keeps connections alive and asks for /metrics back
// to back on each; `churn` opens connections and closes them at once, many at a time. It stops by
// itself after its duration (or on SIGTERM) and prints what it did as one JSON line.
import { request, Agent } from 'node:http';
import { connect } from 'node:net';

const [mode, target, durationText, widthText] = process.argv.slice(2);
const [host, portText] = (target ?? '').split(':');
const port = Number(portText);
const durationMs = Number(durationText);
const width = Number(widthText);
if (!(mode === 'scrape' || mode === 'churn') || !host || !port || !durationMs || !width) {
  console.error('usage: metrics-flooder scrape|churn HOST:PORT DURATION_MS WIDTH');
  process.exit(2);
}

const end = performance.now() + durationMs;
let stopping = false;
process.once('SIGTERM', () => (stopping = true));
const going = () => !stopping && performance.now() < end;
const counts = { ok: 0, failed: 0 };

function scrapeOnce(agent: Agent): Promise<void> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/metrics', agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => {
        counts[res.statusCode === 200 ? 'ok' : 'failed']++;
        resolve();
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      counts.failed++;
      setTimeout(resolve, 10); // refused or reset: try again soon, not in a tight loop
    });
    req.end();
  });
}

function churnOnce(): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, host, () => {
      counts.ok++;
      s.destroy();
      resolve();
    });
    s.setTimeout(5_000, () => s.destroy(new Error('timeout')));
    s.on('error', () => {
      counts.failed++;
      resolve();
    });
  });
}

async function loop(): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  while (going()) await (mode === 'scrape' ? scrapeOnce(agent) : churnOnce());
  agent.destroy();
}

await Promise.all(Array.from({ length: width }, loop));
console.log(JSON.stringify({ mode, width, ...counts }));
