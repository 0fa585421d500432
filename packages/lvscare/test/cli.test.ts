// The lvscare executable's own surface: help per command with defaults and CARE_* names,
// version, help and completion commands, one line per problem and exit 2 for bad input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const bin = fileURLToPath(new URL('../../bin/lvscare.js', import.meta.url));
const lvscare = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
  });

test('care --help and help care: every flag with its default and its CARE_* variable', () => {
  for (const args of [
    ['care', '--help'],
    ['help', 'care'],
  ]) {
    const r = lvscare(args);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /--health-ca-file/);
    assert.match(r.stdout, /CARE_HEALTH_CA_FILE/);
    assert.match(r.stdout, /-i, --iface[\s\S]*CARE_IFACE[\s\S]*\[default: "lvscare"\]/);
    assert.match(r.stdout, /--interval[\s\S]*\[default: "5s"\]/);
    assert.match(r.stdout, /-C, --clean/);
    // counts read as numbers in help, though parsed as text so refusals quote what was typed
    assert.match(r.stdout, /--fall [^\n]*\n[^\n]*\[number\] \[default: 2\]/);
    assert.match(r.stdout, /--rise [^\n]*\n[^\n]*\[number\] \[default: 2\]/);
  }
});

test('version, version --short, --version', () => {
  const long = lvscare(['version']);
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  assert.match(
    long.stdout,
    new RegExp(`^lvscare \\d+\\.\\d+\\.\\d+ \\(commit \\w+, linux/${arch}, node v\\d+`),
  );
  const short = lvscare(['version', '--short']);
  assert.match(short.stdout, /^\d+\.\d+\.\d+\n$/);
  assert.equal(lvscare(['--version']).stdout, short.stdout);
  assert.equal(lvscare(['version', 'extra']).status, 2);
});

test('completion bash prints a script that completes lvscare', () => {
  const r = lvscare(['completion', 'bash']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /complete -o bashdefault -o default -F _lvscare_yargs_completions lvscare/,
  );
  const words = lvscare(['--get-yargs-completions', 'lvscare', 'care', '--health-re']);
  assert.match(words.stdout, /--health-req-method/);
});

test('bad input: every problem, one line each, the last pointing at --help; exit 2', () => {
  const r = lvscare(['care', '--vs', '10.103.97.2:6443', '--rs', '10.0.0.300:6443', '--fall', 'x']);
  assert.equal(r.status, 2);
  assert.deepEqual(r.stderr.trim().split('\n'), [
    'lvscare: --rs "10.0.0.300:6443": not an IP:PORT (IPv6 as [addr]:port)',
    'lvscare: --fall "x": must be a whole number from 1 to 100 (see lvscare --help)',
  ]);
  assert.equal(r.stdout, '');
});

test('a misspelt flag or command gets a suggestion', () => {
  const flag = lvscare(['care', '--vs', '10.103.97.2:6443', '--helth-path', '/x']);
  assert.equal(flag.status, 2);
  assert.match(flag.stderr, /Unknown argument: helth-path \(did you mean --health-path\?\)/);
  const command = lvscare(['verison']);
  assert.equal(command.status, 2);
  assert.match(command.stderr, /unknown command "verison": Did you mean version\?/);
  assert.equal(lvscare([]).status, 2, 'no command');
  const sub = lvscare(['ipvs', 'lst', '--json']);
  assert.equal(sub.status, 2);
  assert.match(
    sub.stderr,
    /unknown command "lst": Did you mean list\?/,
    'the mistyped word quoted',
  );
});

test('a virtual server without its port: the port an API server has is suggested', () => {
  const r = lvscare(['care', '--vs', '10.103.97.2', '--rs', '192.168.0.2:6443']);
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    /--vs "10\.103\.97\.2": not an IP:PORT: the port is missing, e\.g\. 10\.103\.97\.2:6443/,
  );
});

test('CARE_* values that do not parse name the variable', () => {
  const r = lvscare(['care', '--vs', '10.103.97.2:6443', '--rs', '10.0.0.1:6443'], {
    CARE_RUN_ONCE: 'yes',
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^lvscare: CARE_RUN_ONCE "yes": not a boolean/);
});
