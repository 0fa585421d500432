// setIntSocketOption, on descriptors a unit test can make: a real socket, and a closed one.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect } from 'node:net';
import { test } from 'node:test';
import { SystemCallError, setIntSocketOption } from '../src/ffi.js';

test('an option on a descriptor that is not open fails with EBADF, naming the option', () => {
  assert.throws(
    () => setIntSocketOption(-1, 1, 9, 1, 'SO_KEEPALIVE'),
    (err) => {
      assert.ok(err instanceof SystemCallError);
      assert.equal(err.code, 'EBADF');
      assert.equal(err.syscall, 'setsockopt');
      assert.match(err.message, /^setsockopt\(SO_KEEPALIVE\) failed: EBADF$/);
      return true;
    },
  );
});

test('SO_KEEPALIVE on a connected TCP socket is accepted, and the connection keeps working', async () => {
  const server = createServer((s) => s.end('ok')).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const client = connect({ host: '127.0.0.1', port });
  await once(client, 'connect');
  const fd = (client as unknown as { _handle: { fd: number } })._handle.fd;
  assert.ok(fd >= 0);
  setIntSocketOption(fd, 1 /* SOL_SOCKET */, 9 /* SO_KEEPALIVE */, 1);
  const [data] = (await once(client, 'data')) as [Buffer];
  assert.equal(data.toString(), 'ok');
  client.destroy();
  server.close();
});

test('koffi loads straight from its platform package on the platforms the image is built for', async () => {
  // The fallback through koffi's entry works too, only slower: this keeps an upgrade that moves
  // the native binary from silently costing every start-up its 80 ms again.
  const { koffiLoadedFrom } = await import('../src/ffi/libc.js');
  if (process.platform === 'linux' && ['x64', 'arm64'].includes(process.arch))
    assert.equal(koffiLoadedFrom, 'platform package');
  else assert.equal(koffiLoadedFrom, 'koffi entry');
});
