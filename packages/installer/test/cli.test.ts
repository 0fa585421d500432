// Bad input to kha: one line naming what is wrong, exit 2, nothing written. These all stop
// before preflight, so they need neither root nor IPVS.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const kha = fileURLToPath(new URL('../../bin/kha.js', import.meta.url));

function sandbox() {
  const dir = mkdtempSync(join(tmpdir(), 'kha-cli-'));
  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, '127.0.0.1 localhost\n');
  mkdirSync(join(dir, 'manifests'));
  const flags = [
    '--image',
    'registry.example.com/kha/lvscare:0.1.0',
    '--hosts-file',
    hosts,
    '--manifest-dir',
    join(dir, 'manifests'),
    '--modules-load-dir',
    join(dir, 'modules-load.d'),
    '--sysctl-dir',
    join(dir, 'sysctl.d'),
    '--state-dir',
    join(dir, 'state'),
  ];
  const snapshot = () => ({
    files: readdirSync(dir, { recursive: true }),
    hosts: readFileSync(hosts, 'utf8'),
  });
  return { dir, flags, snapshot };
}

const cases: Array<[string, (dir: string) => string[], RegExp]> = [
  ['an unknown flag', () => ['--master', '192.168.0.2', '--bogus'], /Unknown argument: bogus/],
  ['a bad master address', () => ['--master', '192.168.0.300'], /--master "192\.168\.0\.300"/],
  [
    'a backwards range',
    () => ['--master', '192.168.0.4-192.168.0.2'],
    /--master "192\.168\.0\.4-192\.168\.0\.2"/,
  ],
  [
    'the VIP equal to a master',
    () => ['--master', '10.103.97.2'],
    /--vip "10\.103\.97\.2:6443": is the master/,
  ],
  ['a bad VIP', () => ['--master', '192.168.0.2', '--vip', '10.103.97'], /--vip "10\.103\.97"/],
  [
    'an unwritable manifest dir',
    (dir) => {
      writeFileSync(join(dir, 'not-a-dir'), '');
      return ['--master', '192.168.0.2', '--manifest-dir', join(dir, 'not-a-dir', 'manifests')];
    },
    /--manifest-dir ".*": .*not-a-dir is not a directory/,
  ],
  [
    'a bad lvscare flag',
    () => ['--master', '192.168.0.2', '--lvscare-arg=--scheduler=fastest'],
    /--lvscare-arg: --scheduler "fastest"/,
  ],
  ['no master', () => [], /--master is required/],
  [
    'a loopback VIP',
    () => ['--master', '192.168.0.2', '--vip', '127.0.0.1'],
    /--vip "127\.0\.0\.1": a loopback/,
  ],
  [
    'a multicast VIP',
    () => ['--master', '192.168.0.2', '--vip', '224.0.0.5'],
    /a multicast address/,
  ],
  [
    'the unspecified VIP',
    () => ['--master', '192.168.0.2', '--vip', '0.0.0.0'],
    /the unspecified address/,
  ],
  [
    'the broadcast VIP',
    () => ['--master', '192.168.0.2', '--vip', '255.255.255.255'],
    /the broadcast/,
  ],
  [
    'a VIP with a zone id',
    () => ['--master', 'fd00::2', '--vip', 'fe80::1%eth0'],
    /--vip "fe80::1%eth0": not an address/,
  ],
  [
    'a VIP in other digits',
    () => ['--master', '192.168.0.2', '--vip', '１０.103.97.2'],
    /--vip "１０\.103\.97\.2"/,
  ],
  [
    'a bad metrics address',
    () => ['--master', '192.168.0.2', '--metrics-address', 'localhost'],
    /--metrics-address "localhost": not an ADDR:PORT/,
  ],
  ...[
    ['-C', /--clean conflicts/],
    ['--clean=true', /--clean conflicts/],
    ['--no-clean', /--clean conflicts/],
    ['--run-once', /--run-once conflicts/],
    ['--rs=10.0.0.9:6443', /--rs conflicts/],
    ['--vs=10.0.0.9:6443', /--vs conflicts/],
    ['--health-ca-file=/x.crt', /--health-ca-file conflicts/],
    [
      '--metrics-address=127.0.0.1:9400',
      /--metrics-address conflicts with what kha sets itself \(--metrics-address\)/,
    ],
    ['-rs=10.0.0.9:6443', /--lvscare-arg: Unknown arguments: r, s/],
    ['--C', /--lvscare-arg: unknown flag: --C \(the shorthand is -C\)/],
    ['-health-ca-file=/x.crt', /--lvscare-arg: Unknown arguments/],
    ['--interval=1000h', /--lvscare-arg: --interval "1000h": too large/],
    [
      '--health-req-headers=Bad Name=x',
      /--lvscare-arg: --health-req-headers "Bad Name=x": not an HTTP header/,
    ],
  ].map(([arg, message]): [string, (dir: string) => string[], RegExp] => [
    `--lvscare-arg=${String(arg)}`,
    () => ['--master', '192.168.0.2', `--lvscare-arg=${String(arg)}`],
    message as RegExp,
  ]),
];

for (const [what, args, message] of cases) {
  test(`kha join with ${what}: one line, exit 2, nothing written`, () => {
    const { dir, flags, snapshot } = sandbox();
    const before = snapshot();
    const r = spawnSync(
      process.execPath,
      [kha, 'join', ...flags, ...args(dir), '--', '--token', 'abcdef.0123456789abcdef'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
    const after = snapshot();
    assert.deepEqual(after.hosts, before.hosts);
    assert.deepEqual(
      after.files.sort(),
      [...before.files, ...(what === 'an unwritable manifest dir' ? ['not-a-dir'] : [])].sort(),
    );
  });
}

test('every problem at once, one line each, exit 2', () => {
  const { flags } = sandbox();
  const r = spawnSync(
    process.execPath,
    [
      kha,
      'join',
      ...flags,
      '--master',
      '192.168.0.300',
      '--vip',
      '127.0.0.1',
      '--image',
      'Bad Image',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 2);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 3, r.stderr);
  assert.match(r.stderr, /--vip "127\.0\.0\.1": a loopback/);
  assert.match(r.stderr, /--image "Bad Image": not an image reference/);
  assert.match(r.stderr, /--master "192\.168\.0\.300"/);
  const across = spawnSync(
    process.execPath,
    [
      kha,
      'manifest',
      '--master',
      '192.168.0.2',
      '--master',
      '192.168.0.2',
      '--vip',
      '224.0.0.1',
      '--image',
      'Bad Image',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(across.status, 2);
  assert.equal(across.stderr.trim().split('\n').length, 3, across.stderr);
  assert.match(across.stderr, /--master "192\.168\.0\.2:6443": is given twice/);
});

test('kha help join, version --short, completion bash', () => {
  const help = spawnSync(process.execPath, [kha, 'help', 'join'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /--metrics-address[\s\S]*\[default: "0\.0\.0\.0:9299"\]/);
  assert.match(help.stdout, /--lvscare-arg/);
  const version = spawnSync(process.execPath, [kha, 'version', '--short'], { encoding: 'utf8' });
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  const completion = spawnSync(process.execPath, [kha, 'completion', 'bash'], { encoding: 'utf8' });
  assert.match(completion.stdout, /_kha_yargs_completions/);
});

const khaRun = (args: string[]) =>
  spawnSync(process.execPath, [kha, ...args], { encoding: 'utf8', env: { ...process.env } });

test('the command line as operators type it: each mistake one line naming what to type, exit 2', () => {
  const image = ['--image', 'registry.example.com/kha/lvscare:0.1.0'];
  const cases: Array<[string[], RegExp]> = [
    [['completion', 'zsh'], /^kha: completion: "zsh": kha completes bash only/],
    [['help', 'nope'], /^kha: help: no command "nope": one of join, adopt/],
    [
      ['join', '--master', '192.168.0.2', ...image, '--token', 'abcdef.0123456789abcdef'],
      /^kha join: --token is kubeadm join's flag: give kubeadm's flags after --/,
    ],
    [
      ['manifest', '--master', '192.168.0.2', ...image, '--no-discover', '--kubeconfig', '/x'],
      /^kha manifest: --kubeconfig is read only by discovery, which --no-discover turns off/,
    ],
    [
      ['reset', '--wait', '5x'],
      /^kha reset: --wait "5x": must be a duration.*\(see kha reset --help\)$/,
    ],
    [['join', '--version'], /^kha join: Unknown argument: version/],
  ];
  for (const [args, message] of cases) {
    const r = khaRun(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '', `${args.join(' ')} prints nothing on stdout`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trim(), message);
    assert.doesNotMatch(r.stderr, /abcdef\.0123456789abcdef/, 'a token is never echoed');
  }
});

test('accepted as operators type them: --master a,b, --metrics-address :PORT, --wait 5m', () => {
  const r = khaRun([
    'manifest',
    '--master',
    '192.168.0.2,192.168.0.3',
    '--image',
    'registry.example.com/kha/lvscare:0.1.0',
    '--metrics-address',
    ':9300',
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /- '--rs'\n\s+- 192\.168\.0\.2:6443\n\s+- '--rs'\n\s+- 192\.168\.0\.3:6443/,
  );
  assert.match(r.stdout, /- '--metrics-address'\n\s+- 0\.0\.0\.0:9300/);
  const reset = khaRun([
    'reset',
    '--wait',
    '5m',
    '--dry-run',
    '--state-dir',
    mkdtempSync(join(tmpdir(), 'kha-')),
  ]);
  assert.doesNotMatch(reset.stderr, /--wait/, reset.stderr);
});

test('every command has help with an Examples section; required flags are marked; completion --help is help', () => {
  for (const command of ['join', 'adopt', 'update', 'reset', 'manifest']) {
    const r = khaRun([command, '--help']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Examples:$/m, `${command} --help`);
  }
  assert.match(khaRun(['join', '--help']).stdout, /--master .*\(required\)/s);
  assert.match(khaRun(['join', '--help']).stdout, /--image .*\(required\)/s);
  const completion = khaRun(['completion', '--help']);
  assert.equal(completion.status, 0);
  assert.match(completion.stdout, /^kha completion \[bash\]/);
  assert.doesNotMatch(completion.stdout, /###-begin/, 'help, not the script');
});
