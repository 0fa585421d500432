import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCaFile } from '../src/config/ca-file.js';
import { careConfigFromValues, checkCareFlags } from '../src/config/care-config.js';
import { parseDuration } from '../src/config/duration.js';
import { parseEndpoint, unusableVip } from '../src/config/endpoint.js';
import { UsageError } from '../src/exit.js';

const base = { vs: '10.103.97.2:6443', rs: ['192.168.0.2:6443', '192.168.0.3:6443'] };

test("durations: bare integers are seconds, Go's durations otherwise, finite only", () => {
  assert.equal(parseDuration('5'), 5000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('.5s'), 500);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('-5'), -5000);
  assert.equal(parseDuration('5 s'), undefined);
  assert.equal(parseDuration('fast'), undefined);
  assert.equal(parseDuration(''), undefined);
  assert.equal(parseDuration('9'.repeat(400)), undefined, 'Infinity is not a duration');
  assert.equal(parseDuration(`${'9'.repeat(400)}h`), undefined);
});

test('endpoints: IPv4, bracketed IPv6, canonical text, port range; no zone ids or foreign digits', () => {
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
  assert.equal(parseEndpoint('[fe80::1%eth0]:6443'), undefined);
  assert.equal(parseEndpoint('fe80::1%eth0', 6443), undefined);
  assert.equal(parseEndpoint('10.0.0.1:６４４３'), undefined);
  assert.equal(parseEndpoint('１０.0.0.1:6443'), undefined);
  assert.equal(parseEndpoint('10.0.0.1:٦٤٤٣'), undefined);
  assert.deepEqual(parseEndpoint('10.0.0.1', 6443), {
    family: 'inet',
    address: '10.0.0.1',
    port: 6443,
  });
});

test('VIPs no node can serve', () => {
  for (const a of [
    '0.0.0.0',
    '255.255.255.255',
    '127.0.0.1',
    '127.1.2.3',
    '224.0.0.1',
    '239.255.255.250',
    '::',
    '::1',
    'ff02::1',
  ]) {
    const e = parseEndpoint(a, 6443)!;
    assert.ok(unusableVip(e), a);
  }
  for (const a of ['10.103.97.2', '169.254.0.1', '223.255.255.255', '240.0.0.1', 'fd00::2'])
    assert.equal(unusableVip(parseEndpoint(a, 6443)!), undefined, a);
});

test('defaults are the documented ones', () => {
  const c = careConfigFromValues(base);
  assert.equal(c.scheduler, 'rr');
  assert.equal(c.mode, 'route');
  assert.equal(c.iface, 'lvscare');
  assert.equal(c.intervalMs, 5000);
  assert.equal(c.fastIntervalMs, 200);
  assert.equal(c.health.timeoutMs, 1000);
  assert.equal(c.fall, 2);
  assert.equal(c.rise, 2);
  assert.equal(c.drainTimeoutMs, 30_000);
  assert.equal(c.health.scheme, 'https');
  assert.equal(c.health.path, '/healthz');
  assert.equal(c.health.method, 'GET');
  assert.equal(c.health.insecureSkipVerify, true);
  assert.equal(c.health.ca, undefined);
  assert.deepEqual(c.metricsAddress, { host: '127.0.0.1', port: 9299 });
  assert.deepEqual(c.livenessAddress, { host: '127.0.0.1', port: 9298 });
  assert.equal(c.logFormat, 'json');
  assert.equal(c.logLevel, 'info');
});

test('every problem is reported at once, each naming the flag and the value', () => {
  assert.throws(
    () =>
      careConfigFromValues({
        ...base,
        interval: 'often',
        fall: '0',
        scheduler: 'fastest',
        rs: ['10.0.0.300:1', '10.0.0.2:x'],
      }),
    (err) => {
      assert.ok(err instanceof UsageError);
      assert.deepEqual(err.problems, [
        '--rs "10.0.0.300:1": not an IP:PORT (IPv6 as [addr]:port)',
        '--rs "10.0.0.2:x": not an IP:PORT (IPv6 as [addr]:port)',
        '--scheduler "fastest": unknown scheduler; one of rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos',
        '--interval "often": not a duration (seconds like 5, or 500ms, 2s, 1m)',
        '--fall "0": must be a whole number from 1 to 100',
      ]);
      return true;
    },
  );
});

const rejects: Array<[string, Record<string, unknown>, RegExp]> = [
  ['missing --vs', { rs: ['192.168.0.2:6443'] }, /^--vs is required/],
  ['bad VIP', { ...base, vs: '10.103.97:6443' }, /--vs "10\.103\.97:6443": not an IP:PORT/],
  [
    'loopback VIP',
    { ...base, vs: '127.0.0.1:6443' },
    /--vs "127\.0\.0\.1:6443": a loopback address/,
  ],
  ['unspecified VIP', { ...base, vs: '0.0.0.0:6443' }, /the unspecified address/],
  ['broadcast VIP', { ...base, vs: '255.255.255.255:6443' }, /the broadcast address/],
  ['multicast VIP', { ...base, vs: '[ff02::1]:6443' }, /a multicast address/],
  ['bad port', { ...base, rs: ['192.168.0.2:99999'] }, /--rs "192\.168\.0\.2:99999"/],
  ['--rs equal to the VIP', { ...base, rs: ['10.103.97.2:6443'] }, /is the virtual server itself/],
  ['mixed families', { ...base, rs: ['[fd00::2]:6443'] }, /mixed address families/],
  ['interval too small', { ...base, interval: '10ms' }, /--interval "10ms": too small/],
  ['interval too large', { ...base, interval: '2h' }, /--interval "2h": too large: at most 1h0m0s/],
  ['interval of 30 digits', { ...base, interval: '9'.repeat(30) }, /--interval "9{30}": too large/],
  ['interval infinite', { ...base, interval: '9'.repeat(400) }, /not a duration/],
  ['negative interval', { ...base, interval: '-5s' }, /too small/],
  [
    'health timeout too large',
    { ...base, healthTimeout: '1000h' },
    /--health-timeout "1000h": too large: at most 1m0s/,
  ],
  ['drain timeout too large', { ...base, drainTimeout: '2h' }, /--drain-timeout "2h": too large/],
  ['bad mode', { ...base, mode: 'tunnel' }, /--mode "tunnel"/],
  ['no --rs', { vs: '10.103.97.2:6443' }, /--rs is required/],
  [
    'header without =',
    { ...base, healthReqHeaders: ['Authorization'] },
    /--health-req-headers "Authorization": must be name=value/,
  ],
  [
    'header name HTTP cannot carry',
    { ...base, healthReqHeaders: ['Bad Name=x'] },
    /--health-req-headers "Bad Name=x": not an HTTP header/,
  ],
  [
    'header value HTTP cannot carry',
    { ...base, healthReqHeaders: ['X-A=a\nb'] },
    /--health-req-headers "X-A=a\\nb": not an HTTP header/,
  ],
  ['path with a space', { ...base, healthPath: '/a b' }, /--health-path "\/a b": holds characters/],
  [
    'path in another script',
    { ...base, healthPath: '/健康' },
    /--health-path "\/健康": holds characters/,
  ],
  [
    'bad method',
    { ...base, healthReqMethod: 'GE T' },
    /--health-req-method "GE T": not an HTTP method/,
  ],
  [
    'bad status',
    { ...base, healthStatus: ['4011'] },
    /--health-status "4011": not an HTTP status code/,
  ],
  ['bad fall', { ...base, fall: '0' }, /--fall "0": must be a whole number/],
  [
    'bad metrics address',
    { ...base, metricsAddress: 'localhost' },
    /--metrics-address "localhost"/,
  ],
  [
    'bad liveness address',
    { ...base, livenessAddress: 'localhost:9298' },
    /--liveness-address "localhost:9298": not an IP:PORT/,
  ],
  [
    'the liveness listener on the metrics port',
    { ...base, metricsAddress: '0.0.0.0:9299', livenessAddress: '127.0.0.1:9299' },
    /--liveness-address "127.0.0.1:9299": shares its port with --metrics-address/,
  ],
  [
    'verification asked for without a CA',
    { ...base, healthInsecureSkipVerify: false },
    /--health-insecure-skip-verify false: needs --health-ca-file/,
  ],
];

for (const [name, values, message] of rejects) {
  test(`bad input: ${name}`, () => {
    assert.throws(
      () => careConfigFromValues(values),
      (err) => err instanceof UsageError && err.problems.some((p) => message.test(p)),
    );
  });
}

test('--clean needs only --vs', () => {
  assert.deepEqual(careConfigFromValues({ vs: '10.103.97.2:6443', clean: true }).realServers, []);
});

test('lenient readings leave a note saying what was done', () => {
  const { config, notes } = checkCareFlags({ ...base, healthPath: 'livez', logger: 'trace' });
  assert.equal(config.health.path, '/livez');
  assert.equal(config.logLevel, 'info');
  assert.equal(notes.length, 2);
});

test('the CA is read after validation: verification on; missing, FIFO, directory or no PEM refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvscare-'));
  const ca = join(dir, 'ca.crt');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const checked = careConfigFromValues({
    ...base,
    healthCaFile: ca,
    healthInsecureSkipVerify: true,
  });
  assert.equal(checked.health.insecureSkipVerify, false);
  assert.equal(checked.health.ca, undefined, 'careConfigFromValues reads no file');
  assert.match(loadCaFile(checked).health.ca ?? '', /BEGIN CERTIFICATE/);
  const refused = (file: string, message: RegExp) =>
    assert.throws(
      () => loadCaFile(careConfigFromValues({ ...base, healthCaFile: file })),
      (err) => err instanceof UsageError && message.test(err.message),
    );
  refused(join(dir, 'missing.crt'), /--health-ca-file ".*missing\.crt": cannot be read \(ENOENT\)/);
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  refused(fifo, /--health-ca-file ".*fifo": not a regular file/); // and returns: nothing writes it
  mkdirSync(join(dir, 'd'));
  refused(join(dir, 'd'), /not a regular file/);
  writeFileSync(join(dir, 'empty.crt'), '');
  refused(join(dir, 'empty.crt'), /holds no PEM certificate/);
});

test('checks across flags are reported beside problems of other flags', () => {
  assert.throws(
    () =>
      careConfigFromValues({
        vs: '10.0.0.1:6443',
        rs: ['[fd00::1]:6443'],
        fall: 'x',
        healthInsecureSkipVerify: false,
      }),
    (err) => {
      assert.ok(err instanceof UsageError);
      assert.deepEqual(
        err.problems.map((p) => p.split(':')[0]),
        ['--fall "x"', '--rs "[fd00', '--health-insecure-skip-verify false'],
      );
      return true;
    },
  );
});

test('discovery flags: --kubeconfig turns it on; --discover-cidr of the VIP family; both others need --kubeconfig', async () => {
  assert.equal(careConfigFromValues(base).discovery, undefined);
  const c = careConfigFromValues({
    ...base,
    kubeconfig: '/etc/kubernetes/kubelet.conf',
    discoverCidr: '192.168.0.0/24',
    discoverStateFile: '/var/lib/kha/masters.json',
  });
  assert.equal(c.discovery?.kubeconfig, '/etc/kubernetes/kubelet.conf');
  assert.equal(c.discovery?.cidr?.contains('192.168.0.9'), true);
  assert.equal(c.discovery?.stateFile, '/var/lib/kha/masters.json');
  const refused = (flags: Record<string, unknown>, why: RegExp) =>
    assert.throws(
      () => careConfigFromValues({ ...base, ...flags }),
      (e: Error) => e instanceof UsageError && why.test(e.message),
    );
  refused(
    { kubeconfig: '/k', discoverCidr: '10.0.0.0/99' },
    /--discover-cidr "10.0.0.0\/99": not a CIDR/,
  );
  refused(
    { kubeconfig: '/k', discoverCidr: 'fd00::/64' },
    /--discover-cidr "fd00::\/64": is IPv6 but --vs is not/,
  );
  refused({ discoverCidr: '10.0.0.0/8' }, /--discover-cidr "10.0.0.0\/8": needs --kubeconfig/);
  refused({ discoverStateFile: '/s.json' }, /--discover-state-file "\/s.json": needs --kubeconfig/);
  const { parseCareArgs } = await import('../src/commands/care-args.js');
  const fromEnv = await parseCareArgs(['--vs', '10.103.97.2:6443', '--rs', '10.0.0.11:6443'], {
    CARE_KUBECONFIG: '/etc/kubernetes/kubelet.conf',
  });
  assert.equal(fromEnv.config.discovery?.kubeconfig, '/etc/kubernetes/kubelet.conf');
});

test('--liveness-address: its own port beside --metrics-address, or empty for none', () => {
  const apart = careConfigFromValues({ ...base, livenessAddress: '[::1]:9400' });
  assert.deepEqual(apart.livenessAddress, { host: '::1', port: 9400 });
  assert.equal(careConfigFromValues({ ...base, livenessAddress: '' }).livenessAddress, undefined);
  const sealosPort = careConfigFromValues({
    ...base,
    metricsAddress: '',
    livenessAddress: '127.0.0.1:9299',
  });
  assert.deepEqual(
    sealosPort.livenessAddress,
    { host: '127.0.0.1', port: 9299 },
    'no clash with a disabled metrics listener',
  );
});
