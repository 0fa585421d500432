// The probe's keepalive tuning reaches the kernel through socket._handle.fd, a private field of
// Node's: if a Node release moves it, the tuning would silently stop. This fails instead.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readlinkSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { test } from 'node:test';
import { livenessFor, socketFd } from '../src/probe/connector.js';
import { setTcpLiveness } from '../src/probe/tcp-liveness.js';

test('a connected TCP socket gives its descriptor, and the probe tuning applies to it', async (t) => {
  const server = createServer((peer) => peer.end()).listen(0, '127.0.0.1');
  t.after(() => server.close());
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const client = connect({ host: '127.0.0.1', port });
  t.after(() => client.destroy());
  await once(client, 'connect');

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
