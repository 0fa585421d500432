// The link mode's nft runs: an nft that fails before reading its input is a failure of the set-up,
// reported and retried, never the end of the daemon (found by the kernel tier: an nft failing at
// once crashed lvscare with an unhandled EPIPE).
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { nft } from '../src/vip/nat-rule.js';

test('an nft that exits without reading its input rejects with its stderr; no EPIPE escapes', async () => {
  const bin = mkdtempSync(join(tmpdir(), 'nft-'));
  // Closes its stdin at once, so the pipe is gone before the input is written.
  writeFileSync(
    join(bin, 'nft'),
    '#!/bin/sh\nexec 0<&-\necho "nft: simulated failure" >&2\nexit 1\n',
  );
  chmodSync(join(bin, 'nft'), 0o755);
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path}`;
  const escaped: unknown[] = [];
  const onUncaught = (err: unknown) => escaped.push(err);
  process.on('uncaughtException', onUncaught);
  try {
    // More than a pipe holds (64 KiB on Linux): the write cannot finish before nft is gone.
    for (let i = 0; i < 3; i++)
      await assert.rejects(nft(['-f', '-'], 'x'.repeat(1 << 20)), /simulated failure/);
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    process.off('uncaughtException', onUncaught);
    process.env.PATH = path;
  }
  assert.deepEqual(escaped, []);
});
