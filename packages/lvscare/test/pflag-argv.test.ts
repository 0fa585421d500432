// The command line read as cobra/pflag reads it (sealos' lvscare), before yargs sees it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CARE_FLAGS, readCareArgs } from '../src/commands/care-args.js';
import { readPflagArgs } from '../src/commands/pflag-argv.js';
import { goBool } from '../src/config/flag.js';

test("Go's ParseBool spellings, and nothing else", () => {
  for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(goBool(t), true, t);
  for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(goBool(f), false, f);
  for (const x of ['yes', 'no', 'tRUE', '', ' true']) assert.equal(goBool(x), undefined, x);
});

test('shorthands: -iVALUE, -i VALUE, -i=VALUE, -C, -C=t, grouped -Ci VALUE', () => {
  assert.deepEqual(readCareArgs(['-iFOO']).args, ['--iface=FOO']);
  assert.deepEqual(readCareArgs(['-i', 'FOO']).args, ['--iface=FOO']);
  assert.deepEqual(readCareArgs(['-i=FOO']).args, ['--iface=FOO']);
  assert.deepEqual(readCareArgs(['-C']).args, ['--clean=true']);
  assert.deepEqual(readCareArgs(['-C=t']).args, ['--clean=true']);
  assert.deepEqual(readCareArgs(['-C=0']).args, ['--clean=false']);
  assert.deepEqual(readCareArgs(['-Ci', 'FOO']).args, ['--clean=true', '--iface=FOO']);
  assert.deepEqual(readCareArgs(['-x']).args, ['-x'], 'unknown: left to yargs');
  assert.deepEqual(readCareArgs(['-C=maybe']).problems, [
    `-C "maybe": not a boolean (Go's ParseBool: true, false, 1, 0, t, f, TRUE, FALSE, True, False)`,
  ]);
});

test('long flags: =value, a separate value, a boolean never takes the next word', () => {
  const r = readCareArgs([
    '--vs',
    '10.103.97.2:6443',
    '--run-once',
    'false',
    '--health-scheme=http',
  ]);
  assert.deepEqual(r.args, [
    '--vs=10.103.97.2:6443',
    '--run-once=true',
    'false',
    '--health-schem=http',
  ]);
  assert.deepEqual([...r.afterBoolean], [['run-once', 'false']]);
  assert.deepEqual([...r.given].sort(), ['health-schem', 'run-once', 'vs']);
  assert.deepEqual(readCareArgs(['--vs']).problems, ['--vs needs a value']);
  assert.deepEqual(
    readCareArgs(['--vs', '--rs']).args,
    ['--vs=--rs'],
    'as pflag: the next word, whatever it is',
  );
});

test('a single-valued flag given twice keeps its last value; lists keep every one', () => {
  const r = readCareArgs(['--interval=1s', '--rs=a', '--interval', '2s', '--rs', 'b']);
  assert.deepEqual(r.args, ['--rs=a', '--interval=2s', '--rs=b']);
});

test('CARE_<FLAG> only for a flag the command line leaves out, and only when not empty', () => {
  const r = readCareArgs(['--interval', '2s'], {
    CARE_INTERVAL: '9s',
    CARE_LOGGER: '',
    CARE_RUN_ONCE: 'T',
    CARE_HEALTH_REQ_HEADERS: 'Accept=a,b',
  });
  assert.deepEqual(r.args, ['--run-once=true', '--health-req-headers=Accept=a,b', '--interval=2s']);
  assert.deepEqual([...r.fromEnv.keys()].sort(), ['health-req-headers', 'run-once']);
  assert.match(
    readCareArgs([], { CARE_CLEAN: 'yes' }).problems[0] ?? '',
    /^CARE_CLEAN "yes": not a boolean/,
  );
});

test('-- ends the flags', () => {
  assert.deepEqual(readPflagArgs(['--', '-C'], CARE_FLAGS).args, ['--', '-C']);
});
