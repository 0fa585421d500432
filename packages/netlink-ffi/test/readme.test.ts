// The README's example is the shipped examples/ file, byte for byte (the kernel tier runs that
// file), so the documentation cannot drift from code that is known to work.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const root = new URL('../../', import.meta.url);

test('the README shows examples/virtual-server.ts as it is', () => {
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  const example = readFileSync(new URL('examples/virtual-server.ts', root), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.equal(block, example);
});
