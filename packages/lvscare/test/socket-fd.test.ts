// The probe's keepalive tuning reaches the kernel through socket._handle.fd, a private field of
// Node's: if a Node release moves it, the tuning would silently stop. This fails instead. And the
// keepalive watch reads TCP_INFO through it, at offsets checked here against the kernel's.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readlinkSync } from 'node:fs';
import { type Socket, connect, createServer } from 'node:net';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { livenessFor, socketFd } from '../src/probe/connector.js';
import { readKeepaliveState, setTcpLiveness } from '../src/probe/tcp-liveness.js';

/** A client connected to a server on loopback, both closed after the test. */
async function loopbackClient(t: TestContext): Promise<Socket> {
  const server = createServer().listen(0, '127.0.0.1');
  t.after(() => server.close());
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const client = connect({ host: '127.0.0.1', port });
  t.after(() => client.destroy());
  await once(client, 'connect');
  return client;
}

test('a connected TCP socket gives its descriptor, and the probe tuning applies to it', async (t) => {
  const client = await loopbackClient(t);

  const fd = socketFd(client);
  assert.equal(
    typeof fd,
    'number',
    'socket._handle.fd is gone: probe connections would run without keepalive tuning',
  );
  // The descriptor is this process's socket (the kernel's view, not Node's)...
  assert.match(readlinkSync(`/proc/self/fd/${fd}`), /^socket:\[\d+\]$/);
  // ...and a TCP one: TCP_KEEPIDLE and TCP_USER_TIMEOUT are refused on anything else.
  assert.doesNotThrow(() => setTcpLiveness(fd!, livenessFor(1000)));
});

test('a socket that never connected has no descriptor to tune', () => {
  const client = connect({ host: '127.0.0.1', port: 1 });
  client.on('error', () => {});
  client.destroy();
  assert.equal(socketFd(client), undefined);
});

test("TCP_INFO read at the kernel's offsets: established, nothing outstanding, keepalives answered", async (t) => {
  const client = await loopbackClient(t);
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
