// The metrics/health endpoint under a flood of half-open connections, on loopback: bounded
// connections, /healthz still answering during the flood and at once after it, slow clients
// dropped on their deadline. Limits are scaled down so the test is quick; deadlines in the test
// derive from them.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { type Socket, connect } from 'node:net';
import { after, before, test } from 'node:test';
import type { Server } from 'node:http';
import { startHttpServer } from '../src/http/server.js';
import type { HttpLimits } from '../src/http/limits.js';
import { CareMetrics } from '../src/metrics/metrics.js';

const limits: HttpLimits = {
  maxConnections: 16,
  headersTimeoutMs: 600,
  requestTimeoutMs: 1200,
  keepAliveTimeoutMs: 600,
  checkIntervalMs: 100,
};
let server: Server;
let port: number;

before(async () => {
  const metrics = new CareMetrics(['192.168.0.2:6443'], '10.103.97.2:6443');
  server = await startHttpServer(
    '127.0.0.1',
    0,
    metrics,
    { livenessProblem: () => undefined, readinessProblem: () => 'no successful reconcile yet' },
    limits,
  );
  port = (server.address() as { port: number }).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

function get(
  path: string,
  method = 'GET',
  timeoutMs = 2000,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
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

function halfOpen(count: number): Promise<Socket[]> {
  return Promise.all(
    Array.from(
      { length: count },
      (_, i) =>
        new Promise<Socket>((resolve, reject) => {
          const s = connect(port, '127.0.0.1', () => {
            // Half the flood sends the start of a request and stops; the other half says nothing.
            if (i % 2) s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
            resolve(s);
          });
          s.on('error', () => {}); // dropped by the server: expected
          s.once('error', reject);
        }),
    ),
  );
}

const connectionCount = (): Promise<number> =>
  new Promise((resolve, reject) =>
    server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
  );

test('405 names the allowed methods', async () => {
  const r = await get('/healthz', 'POST');
  assert.equal(r.status, 405);
  assert.equal(r.headers.allow, 'GET, HEAD');
  assert.equal((await get('/readyz')).status, 503);
});

test('a flood of half-open connections: capped, /healthz answers during and right after it', async () => {
  const flood = await halfOpen(limits.maxConnections * 20);
  assert.ok(
    (await connectionCount()) <= limits.maxConnections,
    'the server holds no more than the cap',
  );
  const during = await get('/healthz');
  assert.equal(during.status, 200, '/healthz answers while the flood is on');
  for (const s of flood) s.destroy();
  const started = performance.now();
  const afterwards = await get('/healthz');
  assert.equal(afterwards.status, 200);
  assert.ok(performance.now() - started < limits.headersTimeoutMs, 'at once, not after a deadline');
});

test('a silent or slow connection is dropped on its deadline', async () => {
  const [silent, slow] = await halfOpen(2);
  const closed = (s: Socket) => new Promise<void>((r) => s.once('close', () => r()));
  const deadline = limits.headersTimeoutMs + limits.checkIntervalMs;
  const timer = setTimeout(() => {
    silent!.destroy(new Error('still open'));
    slow!.destroy(new Error('still open'));
  }, deadline * 3);
  const started = performance.now();
  await Promise.all([closed(silent!), closed(slow!)]);
  clearTimeout(timer);
  assert.ok(
    performance.now() - started < deadline * 3,
    `closed by the server within ${deadline * 3}ms`,
  );
});
