import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  APISERVER_NAME,
  entryLine,
  withApiserverEntry as joinBytes,
  withoutApiserverEntry as resetBytes,
} from '../src/hosts-file.js';

// The text cases below are ASCII; bytes and text are the same there.
const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
const withApiserverEntry = (s: string, vip: string): string =>
  joinBytes(bytes(s), vip).toString('latin1');
function withoutApiserverEntry(current: string, original: string | undefined, vip: string) {
  const r = resetBytes(bytes(current), original === undefined ? undefined : bytes(original), vip);
  return { content: r.content.toString('latin1'), exact: r.exact };
}

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

test('a lone carriage return is kept with the text on both sides of it', () => {
  const before = '127.0.0.1 localhost\r10.0.0.5 db\n';
  const joined = withApiserverEntry(before, VIP);
  assert.equal(joined, `${before}${entryLine(VIP)}\n`);
  assert.deepEqual(withoutApiserverEntry(joined, before, VIP), { content: before, exact: true });
});

test('bytes that are not UTF-8 stay as they are', () => {
  const before = Buffer.concat([
    bytes('10.0.0.7 caf'),
    Buffer.from([0xe9, 0xff, 0x80]),
    bytes('\n'),
  ]);
  const joined = joinBytes(before, VIP);
  assert.deepEqual(joined, Buffer.concat([before, bytes(`${entryLine(VIP)}\n`)]));
  assert.deepEqual(resetBytes(joined, before, VIP).content, before);
  // Edited since: only our line goes, the odd bytes stay.
  const edited = Buffer.concat([joined, bytes('10.9.9.9 later\n')]);
  assert.deepEqual(
    resetBytes(edited, before, VIP).content,
    Buffer.concat([before, bytes('10.9.9.9 later\n')]),
  );
});

test('an entry for the name in another letter case is ours to replace', () => {
  assert.equal(
    withApiserverEntry('192.168.0.2 APIServer.Cluster.Local\n127.0.0.1 localhost\n', VIP),
    `${entryLine(VIP)}\n127.0.0.1 localhost\n`,
  );
  assert.equal(
    withApiserverEntry('192.168.0.2 m1 ApiServer.cluster.LOCAL\n', VIP),
    `192.168.0.2 m1\n${entryLine(VIP)}\n`,
  );
});

test('join then reset keeps every byte of arbitrary input; a second join changes nothing', () => {
  const line = fc.oneof(
    fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
    fc
      .constantFrom(
        '192.168.0.2 apiserver.cluster.local',
        '10.0.0.1 a APISERVER.cluster.local b',
        '127.0.0.1 localhost\r',
        '\r',
        '# apiserver.cluster.local',
      )
      .map(bytes),
  );
  const file = fc
    .array(fc.tuple(line, fc.constantFrom('\n', '\r\n', '\r', '')), { maxLength: 10 })
    .map((parts) => Buffer.concat(parts.flatMap(([l, eol]) => [l, bytes(eol)])));
  fc.assert(
    fc.property(file, (original) => {
      const joined = joinBytes(original, VIP);
      assert.deepEqual(joinBytes(joined, VIP), joined, 'a second join changes nothing');
      const entries = joined
        .toString('latin1')
        .split('\n')
        .filter((l) =>
          l
            .replace(/#[^]*/, '')
            .split(/[ \t\r\v\f]+/)
            .filter(Boolean)
            .slice(1)
            .some((n) => n.toLowerCase() === APISERVER_NAME),
        );
      assert.equal(entries.length, 1, 'exactly one line names the API server');
      assert.deepEqual(resetBytes(joined, original, VIP), { content: original, exact: true });
    }),
    { numRuns: 1000 },
  );
});
