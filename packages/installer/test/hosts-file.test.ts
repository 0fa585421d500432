import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { entryLine, withApiserverEntry, withoutApiserverEntry } from '../src/hosts-file.js';

const VIP = '10.103.97.2';
const base =
  '127.0.0.1\tlocalhost\n::1 localhost ip6-localhost\n# The following lines are desirable for IPv6\n';

test('appends the entry, keeping every other byte', () => {
  const out = withApiserverEntry(base, VIP);
  assert.equal(out, `${base}${entryLine(VIP)}\n`);
});

test('a last line without a newline keeps its text and gains one', () => {
  assert.equal(
    withApiserverEntry('127.0.0.1 localhost', VIP),
    `127.0.0.1 localhost\n${entryLine(VIP)}\n`,
  );
});

test('an existing entry for the name is replaced in place; CRLF endings are kept', () => {
  const before = '127.0.0.1 localhost\r\n192.168.0.2 apiserver.cluster.local\r\n10.0.0.1 other\r\n';
  assert.equal(
    withApiserverEntry(before, VIP),
    `127.0.0.1 localhost\r\n${entryLine(VIP)}\r\n10.0.0.1 other\r\n`,
  );
});

test('a line naming it among others loses only that name', () => {
  const before = '192.168.0.2 master1 apiserver.cluster.local # old\n';
  assert.equal(withApiserverEntry(before, VIP), `192.168.0.2 master1 # old\n${entryLine(VIP)}\n`);
});

test('idempotent, and reset gives back the original byte for byte', () => {
  const originals = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          '127.0.0.1 localhost',
          '# comment',
          '',
          '192.168.0.2 apiserver.cluster.local',
          '10.0.0.1 a apiserver.cluster.local b',
          '  ',
          '::1\tip6-localhost',
        ),
        fc.stringMatching(/^[0-9a-z. \t#-]{0,30}$/),
      ),
      { maxLength: 8 },
    )
    .chain((lines) => fc.tuple(fc.constant(lines), fc.constantFrom('\n', '\r\n'), fc.boolean()));
  fc.assert(
    fc.property(originals, ([lines, eol, trailing]) => {
      const original = lines.join(eol) + (trailing && lines.length ? eol : '');
      const joined = withApiserverEntry(original, VIP);
      assert.equal(withApiserverEntry(joined, VIP), joined, 'a second join changes nothing');
      assert.equal(
        joined
          .split('\n')
          .filter((l) => l.replace(/#.*/, '').split(/\s+/).includes('apiserver.cluster.local'))
          .length,
        1,
      );
      assert.deepEqual(withoutApiserverEntry(joined, original, VIP), {
        content: original,
        exact: true,
      });
    }),
    { numRuns: 500 },
  );
});

test('edited since join: reset removes only our line and keeps the edit', () => {
  const joined = withApiserverEntry(base, VIP);
  const edited = `${joined}10.9.9.9 added-later\n`;
  assert.deepEqual(withoutApiserverEntry(edited, base, VIP), {
    content: `${base}10.9.9.9 added-later\n`,
    exact: false,
  });
});
