// docs/flags.md is what the schemas render, and each command's --help lists the same flags with
// the same defaults: the reference an operator reads is the one the programs obey.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { REFERENCED, flagReference } from '../support/flag-reference.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const BINS: Record<string, string> = {
  lvscare: `${root}packages/lvscare/bin/lvscare.js`,
  kha: `${root}packages/installer/bin/kha.js`,
};

test('docs/flags.md is the reference the flag schemas render', () => {
  const written = readFileSync(`${root}docs/flags.md`, 'utf8');
  assert.ok(written === flagReference(), 'docs/flags.md is stale: run npm run docs:flags');
});

/** Each flag --help shows, by its first long name, with the default it shows (unquoted). */
function helpFlags(help: string): Map<string, string | undefined> {
  const flags = new Map<string, string | undefined>();
  let current: string | undefined;
  let inOptions = false;
  for (const line of help.split('\n')) {
    // only the Options section: Examples hold flags of other programs (kubeadm's)
    if (/^\S/.test(line)) inOptions = line.startsWith('Options:');
    if (!inOptions) continue;
    // a flag starts its line; a description runs on indented to its own column
    const m = /^ {2,6}(?:-\w, )?--([a-z0-9-]+)/.exec(line);
    if (m) {
      current = m[1]!;
      flags.set(current, undefined);
    } else if (/^\S/.test(line)) current = undefined;
    const d = /\[default: (?:"([^"]*)"|([^\]]*))\]/.exec(line);
    if (current && d) flags.set(current, d[1] ?? d[2]);
  }
  for (const own of ['help', 'version']) flags.delete(own);
  return flags;
}

test("every command's --help lists the reference's flags with the reference's defaults", () => {
  for (const { command, flags } of REFERENCED) {
    const [program, ...words] = command.split(' ');
    const r = spawnSync(process.execPath, [BINS[program!]!, ...words, '--help'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `${command} --help: ${r.stderr}`);
    const shown = helpFlags(r.stdout);
    assert.ok(shown.size > 0, `${command} --help shows no flags:\n${r.stdout}`);
    const expected = new Map(
      flags.map(([name, meta]) => [
        name,
        meta.default === undefined || Array.isArray(meta.default)
          ? undefined
          : String(meta.default),
      ]),
    );
    assert.deepEqual(shown, expected, command);
  }
});
