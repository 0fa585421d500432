import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { KeepaliveWatch } from '../src/probe/keepalive-watch.js';
import { livenessFor, socketFd } from '../src/probe/connector.js';
import { readKeepaliveState, setTcpLiveness } from '../src/probe/tcp-liveness.js';

test('a keepalive is silence only once seen unanswered for the whole bound', () => {
  const watch = new KeepaliveWatch(500);
  assert.equal(watch.silent(0, 0), false);
  assert.equal(watch.silent(1, 100), false, 'first seen outstanding: the clock starts here');
  assert.equal(watch.silent(1, 599), false);
  assert.equal(watch.silent(1, 600), true);
});

test('an answered keepalive starts the count again; so does the next one going out', () => {
  const watch = new KeepaliveWatch(500);
  assert.equal(watch.silent(1, 0), false);
  assert.equal(watch.silent(0, 450), false, 'answered');
  assert.equal(watch.silent(1, 1000), false, 'the next keepalive, seen late: counted from now');
  assert.equal(watch.silent(1, 1400), false);
  assert.equal(watch.silent(2, 1500), true, 'still unanswered, a second probe out');
});

test("TCP_INFO read at the kernel's offsets: established, nothing outstanding, keepalives answered", async (t) => {
  const server = createServer().listen(0, '127.0.0.1');
  t.after(() => server.close());
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const client = connect({ host: '127.0.0.1', port });
  t.after(() => client.destroy());
  await once(client, 'connect');
  const fd = socketFd(client)!;
  setTcpLiveness(fd, livenessFor(1000));
  const fresh = readKeepaliveState(fd);
  assert.equal(fresh.state, 1, 'TCP_ESTABLISHED');
  assert.equal(fresh.probesOut, 0);
  assert.ok(fresh.sinceLastAckMs < 1000, `last ack ${fresh.sinceLastAckMs} ms ago`);
  // Idle past the 1 s keepalive time: the kernel's keepalive went out and the peer's kernel
  // answered it, so the last acknowledgement is younger than the idle time itself.
  await sleep(1800);
  const idle = readKeepaliveState(fd);
  assert.equal(idle.probesOut, 0);
  assert.ok(idle.sinceLastAckMs < 1200, `last ack ${idle.sinceLastAckMs} ms ago after 1.8 s idle`);
});
