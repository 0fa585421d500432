import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { careConfig, type RawCareFlags } from '../src/config/care-config.js';
import { parseDuration } from '../src/config/duration.js';
import { parseEndpoint } from '../src/config/endpoint.js';
import { UsageError } from '../src/exit.js';

const base: RawCareFlags = { vs: '10.103.97.2:6443', rs: ['192.168.0.2:6443', '192.168.0.3:6443'] };

test('durations: bare integers are seconds, Go durations otherwise', () => {
  assert.equal(parseDuration('5'), 5000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('5 s'), undefined);
  assert.equal(parseDuration('fast'), undefined);
  assert.equal(parseDuration(''), undefined);
});

test('endpoints: IPv4, bracketed IPv6, canonical text, port range', () => {
  assert.deepEqual(parseEndpoint('10.0.0.1:6443'), {
    family: 'inet',
    address: '10.0.0.1',
    port: 6443,
  });
  assert.deepEqual(parseEndpoint('[fd00:0::1]:443'), {
    family: 'inet6',
    address: 'fd00::1',
    port: 443,
  });
  assert.equal(
    parseEndpoint('fd00::1:443'),
    undefined,
    'unbracketed IPv6 with a port is ambiguous',
  );
  assert.equal(parseEndpoint('10.0.0.1:0'), undefined);
  assert.equal(parseEndpoint('10.0.0.1:65536'), undefined);
  assert.equal(parseEndpoint('master1:6443'), undefined);
  assert.deepEqual(parseEndpoint('10.0.0.1', 6443), {
    family: 'inet',
    address: '10.0.0.1',
    port: 6443,
  });
});

test('defaults are the documented ones', () => {
  const c = careConfig(base);
  assert.equal(c.scheduler, 'rr');
  assert.equal(c.mode, 'route');
  assert.equal(c.iface, 'lvscare');
  assert.equal(c.intervalMs, 1000);
  assert.equal(c.fastIntervalMs, 200);
  assert.equal(c.health.timeoutMs, 1000);
  assert.equal(c.fall, 2);
  assert.equal(c.rise, 2);
  assert.equal(c.drainTimeoutMs, 30_000);
  assert.equal(c.health.scheme, 'https');
  assert.equal(c.health.path, '/healthz');
  assert.equal(c.health.insecureSkipVerify, true);
  assert.deepEqual(c.metricsAddress, { host: '127.0.0.1', port: 9299 });
  assert.equal(c.logFormat, 'json');
});

test('sealos spellings: --mode "" is none, --interval 5 is seconds, --logger DEBG is debug', () => {
  const c = careConfig({ ...base, mode: '', interval: '5', logger: 'DEBG' });
  assert.equal(c.mode, 'none');
  assert.equal(c.intervalMs, 5000);
  assert.equal(c.logLevel, 'debug');
});

test('lists from the environment come comma-separated', () => {
  const c = careConfig({
    vs: '10.103.97.2:6443',
    rs: '192.168.0.2:6443,192.168.0.3:6443',
    healthStatus: '401,403',
  });
  assert.equal(c.realServers.length, 2);
  assert.deepEqual(c.health.extraStatuses, [401, 403]);
});

test('a CA file turns verification on; an unreadable one is bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvscare-'));
  const ca = join(dir, 'ca.crt');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const c = careConfig({ ...base, healthCaFile: ca, healthInsecureSkipVerify: true });
  assert.equal(c.health.insecureSkipVerify, false);
  assert.throws(
    () => careConfig({ ...base, healthCaFile: join(dir, 'missing.crt') }),
    /--health-ca-file ".*missing\.crt": cannot be read \(ENOENT\)/,
  );
});

const rejects: Array<[string, RawCareFlags, RegExp]> = [
  ['missing --vs', { rs: ['192.168.0.2:6443'] }, /--vs is required/],
  ['bad VIP', { ...base, vs: '10.103.97:6443' }, /--vs "10\.103\.97:6443": not an IP:PORT/],
  ['bad port', { ...base, rs: ['192.168.0.2:99999'] }, /--rs "192\.168\.0\.2:99999"/],
  [
    'duplicate --rs',
    { ...base, rs: ['192.168.0.2:6443', '192.168.0.2:6443'] },
    /--rs "192\.168\.0\.2:6443": is given twice/,
  ],
  ['--rs equal to the VIP', { ...base, rs: ['10.103.97.2:6443'] }, /is the virtual server itself/],
  ['mixed families', { ...base, rs: ['[fd00::2]:6443'] }, /mixed address families/],
  [
    'unknown scheduler',
    { ...base, scheduler: 'fastest' },
    /--scheduler "fastest": unknown scheduler/,
  ],
  ['interval too small', { ...base, interval: '10ms' }, /--interval "10ms": too small/],
  ['interval not a duration', { ...base, interval: 'often' }, /--interval "often": not a duration/],
  ['bad mode', { ...base, mode: 'tunnel' }, /--mode "tunnel"/],
  ['no --rs', { vs: '10.103.97.2:6443' }, /--rs is required/],
  [
    'bad header',
    { ...base, healthReqHeaders: ['Authorization'] },
    /--health-req-headers "Authorization": must be name=value/,
  ],
  ['bad fall', { ...base, fall: 0 }, /--fall 0: must be a whole number/],
  [
    'bad metrics address',
    { ...base, metricsAddress: 'localhost' },
    /--metrics-address "localhost"/,
  ],
];

for (const [name, raw, message] of rejects) {
  test(`bad input: ${name}`, () => {
    assert.throws(
      () => careConfig(raw),
      (err) => err instanceof UsageError && message.test(err.message),
    );
  });
}

test('--clean needs only --vs', () => {
  const c = careConfig({ vs: '10.103.97.2:6443', clean: true });
  assert.deepEqual(c.realServers, []);
});
