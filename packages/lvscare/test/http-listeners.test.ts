// The metrics and liveness listeners under the floods of issue 22, on loopback: the metrics
// listener holds at most its cap and refuses newcomers without dropping a held connection, paces
// renders without failing any, drops silent and slow clients on their deadline; the liveness
// listener answers /healthz all the while. Limits are scaled down so the test is quick, and no
// assertion is a latency target (those are in bench/liveness-flood.ts).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { type Socket, connect } from 'node:net';
import { after, before, test } from 'node:test';
import type { Server } from 'node:http';
import type { Liveness } from '../src/http/answers.js';
import type { HttpLimits } from '../src/http/limits.js';
import { closeServer } from '../src/http/listener.js';
import { startLivenessServer } from '../src/http/liveness-server.js';
import { startMetricsServer } from '../src/http/metrics-server.js';
import { ScrapeBucket } from '../src/http/scrape-pace.js';
import { CareMetrics } from '../src/metrics/metrics.js';

const limits: HttpLimits = {
  maxConnections: 16,
  backlog: 16,
  headersTimeoutMs: 600,
  requestTimeoutMs: 1200,
  keepAliveTimeoutMs: 600,
  checkIntervalMs: 100,
};
const state: Liveness = {
  livenessProblem: () => undefined,
  readinessProblem: () => 'no successful reconcile yet',
};
let metricsServer: Server;
let livenessServer: Server;
let metricsPort: number;
let livenessPort: number;

const portOf = (s: Server): number => (s.address() as { port: number }).port;

before(async () => {
  const metrics = new CareMetrics(['192.168.0.2:6443'], '10.103.97.2:6443');
  metricsServer = await startMetricsServer('127.0.0.1', 0, metrics, state, limits, {
    perSecond: 50,
    burst: 2,
  });
  livenessServer = await startLivenessServer('127.0.0.1', 0, state, limits);
  metricsPort = portOf(metricsServer);
  livenessPort = portOf(livenessServer);
});
after(async () => {
  await closeServer(metricsServer);
  await closeServer(livenessServer);
});

interface Reply {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

function get(port: number, path: string, method = 'GET', timeoutMs = 3000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, agent: false, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs}ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Connections that connect and then say nothing, or only the start of a request. */
function halfOpen(port: number, count: number): Promise<Socket[]> {
  return Promise.all(
    Array.from(
      { length: count },
      (_, i) =>
        new Promise<Socket>((resolve, reject) => {
          const s = connect(port, '127.0.0.1', () => {
            if (i % 2) s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
            resolve(s);
          });
          s.on('error', () => {}); // refused or dropped by the server: expected
          s.once('error', reject);
        }),
    ),
  );
}

const connectionCount = (server: Server): Promise<number> =>
  new Promise((resolve, reject) =>
    server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
  );

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`never: ${what}`);
}

/** Resolves with the bytes the server sent before it closed the connection. */
const closedWith = (s: Socket): Promise<string> =>
  new Promise((resolve) => {
    let got = '';
    s.on('data', (c: Buffer) => (got += c.toString()));
    s.once('close', () => resolve(got));
  });

test('405 names the allowed methods on both listeners; the liveness listener serves no metrics', async () => {
  for (const port of [metricsPort, livenessPort]) {
    const r = await get(port, '/healthz', 'POST');
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'GET, HEAD');
    assert.equal((await get(port, '/readyz')).status, 503);
    assert.equal((await get(port, '/livez')).status, 200);
  }
  assert.equal((await get(livenessPort, '/metrics')).status, 404);
  assert.match((await get(metricsPort, '/metrics')).body, /^lvscare_master_state\{/m);
});

test('the metrics listener full: a newcomer is refused, every held connection stays, liveness answers', async () => {
  const held = await halfOpen(metricsPort, limits.maxConnections);
  await until(
    async () => (await connectionCount(metricsServer)) === limits.maxConnections,
    'the server holds the cap',
  );
  const [extra] = await halfOpen(metricsPort, 1);
  assert.equal(await closedWith(extra!), '', 'the newcomer is closed without an answer');
  assert.ok(
    held.every((s) => !s.destroyed && s.readyState === 'open'),
    'no held connection was dropped to make room',
  );
  assert.equal(await connectionCount(metricsServer), limits.maxConnections);
  const live = await get(livenessPort, '/healthz');
  assert.equal(live.status, 200, '/healthz on the liveness listener answers while metrics is full');
  assert.equal(live.body, 'ok\n');
  for (const s of held) s.destroy();
  await until(async () => (await connectionCount(metricsServer)) === 0, 'the flood is gone');
  assert.equal((await get(metricsPort, '/metrics')).status, 200, 'metrics serves again');
});

test('a churn of connections past the metrics cap leaves the liveness listener answering every probe', async () => {
  let churning = true;
  const churn = (async () => {
    while (churning) {
      const opened = await halfOpen(metricsPort, 8).catch(() => []); // a reset on connect: churn on
      for (const s of opened) s.destroy();
    }
  })();
  const held = await halfOpen(metricsPort, limits.maxConnections);
  const answers: number[] = [];
  for (let i = 0; i < 20; i++) answers.push((await get(livenessPort, '/healthz')).status);
  churning = false;
  await churn;
  for (const s of held) s.destroy();
  assert.deepEqual(answers, Array<number>(20).fill(200));
});

test('renders past the pace wait their turn: every scrape of a burst is answered', async () => {
  const replies = await Promise.all(Array.from({ length: 8 }, () => get(metricsPort, '/metrics')));
  assert.deepEqual(
    replies.map((r) => r.status),
    Array<number>(8).fill(200),
  );
  assert.ok(replies.every((r) => r.body.includes('lvscare_build_info')));
});

test('the scrape bucket: a burst at once, then one render per 1/perSecond, refilled by time', () => {
  const b = new ScrapeBucket({ perSecond: 10, burst: 3 }, 0);
  assert.deepEqual([b.take(0), b.take(0), b.take(0), b.take(0), b.take(0)], [0, 0, 0, 100, 200]);
  b.giveBack(); // the last waiter left
  assert.equal(b.take(0), 200);
  assert.equal(b.take(1000), 0, 'a second later the queue has drained and tokens are back');
  const full = new ScrapeBucket({ perSecond: 10, burst: 3 }, 0);
  full.take(60_000);
  full.take(60_000);
  full.take(60_000);
  assert.equal(full.take(60_000), 100, 'an idle minute refills to the burst, not beyond');
});

test('a silent or slow connection is dropped on its deadline', async () => {
  const [silent, slow] = await halfOpen(metricsPort, 2);
  const deadline = limits.headersTimeoutMs + limits.checkIntervalMs;
  const timer = setTimeout(() => {
    silent!.destroy(new Error('still open'));
    slow!.destroy(new Error('still open'));
  }, deadline * 3);
  const closed = (s: Socket) => new Promise<boolean>((r) => s.once('close', (e) => r(e)));
  const errors = await Promise.all([closed(silent!), closed(slow!)]);
  clearTimeout(timer);
  assert.deepEqual(
    errors,
    [false, false],
    `closed by the server, not by the ${deadline * 3}ms guard`,
  );
});
