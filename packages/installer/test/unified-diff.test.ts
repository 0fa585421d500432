// The diff --dry-run prints: the same hunks `diff -u` prints for the same two texts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { unifiedDiff } from '../src/unified-diff.js';

test('same texts: no diff; a new file and a removed one against /dev/null', () => {
  assert.deepEqual(unifiedDiff('f', 'a\n', 'a\n'), []);
  assert.deepEqual(unifiedDiff('f', undefined, 'a\nb\n'), [
    '--- /dev/null',
    '+++ f',
    '@@ -0,0 +1,2 @@',
    '+a',
    '+b',
  ]);
  assert.deepEqual(unifiedDiff('f', 'a\n', undefined), [
    '--- f',
    '+++ /dev/null',
    '@@ -1 +0,0 @@',
    '-a',
  ]);
});

test('a change far from another makes two hunks with three lines of context each', () => {
  const before = `${Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n')}\n`;
  const after = before.replace('line 2\n', 'line two\n').replace('line 17\n', 'line seventeen\n');
  const d = unifiedDiff('f', before, after);
  assert.deepEqual(
    d.filter((l) => l.startsWith('@@')),
    ['@@ -1,6 +1,6 @@', '@@ -15,6 +15,6 @@'],
  );
  assert.deepEqual(
    d.filter((l) => /^[-+]line/.test(l)),
    ['-line 2', '+line two', '-line 17', '+line seventeen'],
  );
});

// Lines drawn from a few words, so that texts share lines as files under edit do.
const text = fc
  .array(fc.constantFrom('a', 'b', 'c', 'd', ''), { maxLength: 30 })
  .map((lines) => lines.map((l) => `${l}\n`).join(''));

/** The patch applied to `before` the way `patch` reads it: context and removals must match. */
function patched(before: string, diff: string[]): string {
  const a = before.split('\n').slice(0, -1);
  const out: string[] = [];
  let i = 0;
  for (const line of diff.slice(2)) {
    const hunk = /^@@ -(\d+)(?:,(\d+))? /.exec(line);
    if (hunk) {
      const start = Number(hunk[1]) - (hunk[2] === '0' ? 0 : 1);
      while (i < start) out.push(a[i++]!);
    } else if (line.startsWith('+')) out.push(line.slice(1));
    else {
      assert.equal(a[i], line.slice(1), `${line} matches the text`);
      if (line.startsWith(' ')) out.push(a[i]!);
      i++;
    }
  }
  return [...out, ...a.slice(i)].map((l) => `${l}\n`).join('');
}

const changes = (d: string[], op: string) => d.slice(2).filter((l) => l.startsWith(op)).length;

test('for any two texts the diff patches one into the other, as short as diff -u', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kha-diff-'));
  const [x, y] = [join(dir, 'x'), join(dir, 'y')];
  fc.assert(
    fc.property(text, text, (before, after) => {
      const ours = unifiedDiff('f', before, after);
      assert.equal(patched(before, ours), after);
      writeFileSync(x, before);
      writeFileSync(y, after);
      const theirs = spawnSync('diff', ['-u', x, y], { encoding: 'utf8' }).stdout.split('\n');
      theirs.pop();
      // Equally short edit scripts may differ; their lengths may not.
      assert.equal(changes(ours, '-'), changes(theirs, '-'));
      assert.equal(changes(ours, '+'), changes(theirs, '+'));
    }),
    { numRuns: 300 },
  );
});
