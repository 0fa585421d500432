import assert from 'node:assert/strict';
import { test } from 'node:test';
import { careConfigOf, parseCareFlags } from '../src/commands/care-args.js';

test('a single-valued flag given twice keeps its last value; --rs keeps every one', () => {
  const raw = parseCareFlags([
    '--vs',
    '10.103.97.2:6443',
    '--interval',
    '1s',
    '--interval',
    '2s',
    '--rs',
    '10.0.0.11:6443',
    '--rs',
    '10.0.0.12:6443',
    '--health-req-headers',
    'a=b',
    '--health-req-headers',
    'c=d',
  ]);
  assert.equal(raw.interval, '2s');
  assert.deepEqual(raw.rs, ['10.0.0.11:6443', '10.0.0.12:6443']);
  assert.deepEqual(raw.healthReqHeaders, ['a=b', 'c=d']);
});

test('careConfigOf checks like lvscare care but does not read the CA file', () => {
  const c = careConfigOf([
    '--vs',
    '10.103.97.2:6443',
    '--rs',
    '10.0.0.11:6443',
    '--health-ca-file',
    '/nonexistent/ca.crt',
  ]);
  assert.equal(c.health.caFile, undefined);
  assert.throws(
    () => careConfigOf(['--vs', '10.103.97.2:6443', '--rs', '10.0.0.11:6443', '--fall', 'x']),
    /--fall "x": must be a whole number/,
  );
});

test('flags as cobra reads them: =value, aliases, booleans, unknown flags, the environment', async () => {
  const { parseCommandLine } = await import('../src/command-line.js');
  const { CARE_COMMAND } = await import('../src/commands/care-args.js');
  const parse = (argv: string[], vars: NodeJS.ProcessEnv = {}) => {
    const r = parseCommandLine('lvscare', [CARE_COMMAND], argv, { prefix: 'CARE', vars });
    if ('help' in r) throw new Error('help');
    return r.values;
  };
  const v = parse(['care', '--vs=10.103.97.2:6443', '-C', '-i', 'lvs0', '--run-once=false']);
  assert.equal(v.vs, '10.103.97.2:6443');
  assert.equal(v.clean, true);
  assert.equal(v.iface, 'lvs0');
  assert.equal(v.runOnce, false);
  assert.equal(v.healthPath, '/healthz', 'defaults filled in');
  const e = parse(['care', '--health-path', '/livez'], {
    CARE_HEALTH_PATH: '/readyz',
    CARE_RS: '10.0.0.11:6443,10.0.0.12:6443',
    CARE_RUN_ONCE: 'true',
  });
  assert.equal(e.healthPath, '/livez', 'the command line wins over the environment');
  assert.deepEqual(e.rs, ['10.0.0.11:6443,10.0.0.12:6443'], 'lists split by commas later');
  assert.equal(e.runOnce, true);
  assert.throws(() => parse(['care', '--frobnicate']), /Unknown argument: frobnicate/);
  assert.throws(() => parse(['care', 'extra']), /Unknown argument: extra/);
  assert.throws(() => parse(['care', '--vs']), /--vs needs a value/);
  assert.throws(() => parse(['care', '--clean=maybe']), /--clean "maybe": must be true or false/);
  assert.throws(() => parse(['care', '--', 'x']), /takes no arguments after --/);
  assert.throws(() => parse([]), /name a command: care/);
  const help = parseCommandLine('lvscare', [CARE_COMMAND], ['care', '--help']);
  assert.ok('help' in help && help.help.includes('--health-ca-file <value>'));
});
