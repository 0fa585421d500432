// The end-to-end topology, built in the test's own network namespace (the worker):
//
//   worker (this namespace) --- bridge kbr0 10.0.0.10/24, fd00:10::10/64
//        |                       |-- m1 10.0.0.11  m2 10.0.0.12  m3 10.0.0.13 (fake apiservers)
//        |                       '-- router 10.0.0.1: the masters' default gateway, which knows
//        |                           neither the worker's uplink address nor the VIP
//        '-- uplink vpub 172.31.0.10/24 --- "public" 172.31.0.1: the worker's default route
//
// So the worker has two NICs and its default route is not the one towards the masters: a VIP
// whose traffic leaves with the wrong source address gets no answer, as on a real multi-NIC node.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makePki } from './pki.js';
import { attempt, run } from './run.js';

export interface Master {
  name: string;
  ns: string;
  ip: string;
  ip6: string;
  port: number;
  controlPort: number;
  process: ChildProcess | undefined;
}

const apiserverMain = fileURLToPath(new URL('./apiserver-main.js', import.meta.url));

const ip = (...args: string[]): string => run('ip', args);
const inNs = (ns: string, ...args: string[]): string => run('ip', ['netns', 'exec', ns, ...args]);

export class Topology {
  readonly masters: Master[];
  readonly workerIp = '10.0.0.10';
  readonly workerIp6 = 'fd00:10::10';
  readonly uplinkIp = '172.31.0.10';
  readonly pkiDir = mkdtempSync(join(tmpdir(), 'kha-pki-'));
  readonly pki = makePki(this.pkiDir);
  private readonly otherPki = makePki(join(this.pkiDir, 'other'), 'other-ca');
  /** Extra environment of the fake apiservers, e.g. KHA_REGISTRY_FILE to serve the registration. */
  apiserverEnv: Record<string, string> = {};

  constructor(count = 3) {
    this.masters = Array.from({ length: count }, (_, i) => ({
      name: `m${i + 1}`,
      ns: `kha-m${i + 1}`,
      ip: `10.0.0.${11 + i}`,
      ip6: `fd00:10::${11 + i}`,
      port: 6443,
      controlPort: 8080,
      process: undefined,
    }));
  }

  get caCert(): string {
    return this.pki.caCert;
  }

  build(): void {
    this.destroy();
    run('sysctl', ['-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    ip('link', 'add', 'kbr0', 'type', 'bridge');
    ip('addr', 'add', `${this.workerIp}/24`, 'dev', 'kbr0');
    ip('addr', 'add', `${this.workerIp6}/64`, 'dev', 'kbr0', 'nodad');
    ip('link', 'set', 'kbr0', 'up');
    this.addHost('kha-router', 'vrouter', '10.0.0.1/24', 'fd00:10::1/64');
    for (const m of this.masters) {
      this.addHost(m.ns, `v${m.name}`, `${m.ip}/24`, `${m.ip6}/64`);
      inNs(m.ns, 'ip', 'route', 'add', 'default', 'via', '10.0.0.1');
      inNs(m.ns, 'ip', '-6', 'route', 'add', 'default', 'via', 'fd00:10::1');
    }
    // The uplink: the worker's default route, somewhere the masters cannot answer.
    ip('netns', 'add', 'kha-public');
    ip('link', 'add', 'vpub', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'kha-public');
    ip('addr', 'add', `${this.uplinkIp}/24`, 'dev', 'vpub');
    ip('addr', 'add', 'fd00:31::10/64', 'dev', 'vpub', 'nodad');
    ip('link', 'set', 'vpub', 'up');
    inNs('kha-public', 'ip', 'addr', 'add', '172.31.0.1/24', 'dev', 'eth0');
    inNs('kha-public', 'ip', 'addr', 'add', 'fd00:31::1/64', 'dev', 'eth0', 'nodad');
    inNs('kha-public', 'ip', 'link', 'set', 'eth0', 'up');
    inNs('kha-public', 'ip', 'link', 'set', 'lo', 'up');
    ip('route', 'add', 'default', 'via', '172.31.0.1');
    ip('-6', 'route', 'add', 'default', 'via', 'fd00:31::1');
  }

  private addHost(ns: string, bridgePort: string, addr: string, addr6: string): void {
    ip('netns', 'add', ns);
    ip('link', 'add', bridgePort, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    ip('link', 'set', bridgePort, 'master', 'kbr0');
    ip('link', 'set', bridgePort, 'up');
    inNs(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0');
    inNs(ns, 'ip', 'addr', 'add', addr, 'dev', 'eth0');
    inNs(ns, 'ip', 'addr', 'add', addr6, 'dev', 'eth0', 'nodad');
    inNs(ns, 'ip', 'link', 'set', 'eth0', 'up');
    inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
  }

  /** Starts (or restarts) a master's fake apiserver, dual-stack, and resolves once it listens. */
  startMaster(m: Master): Promise<void> {
    const { cert, key } = this.pki.server(m.name, [m.ip, m.ip6]);
    const wrong = this.otherPki.server(`${m.name}-wrong`, [m.ip, m.ip6]);
    const host = '::';
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        m.ns,
        process.execPath,
        apiserverMain,
        m.name,
        host,
        String(m.port),
        cert,
        key,
        String(m.controlPort),
        wrong.cert,
        wrong.key,
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, ...this.apiserverEnv },
      },
    );
    m.process = child;
    return new Promise((resolve, reject) => {
      child.once('exit', (code) =>
        reject(new Error(`fake apiserver ${m.name} exited with ${code}`)),
      );
      child.stdout.once('data', () => resolve());
    });
  }

  /** The master's process dies at once (SIGKILL), as when kube-apiserver crashes. */
  killMaster(m: Master): void {
    m.process?.kill('SIGKILL');
    m.process = undefined;
  }

  /**
   * Drops every IP packet to and from the master with a firewall in its namespace: ARP still
   * answers, so nothing tells the worker; only silence. As a partitioned or frozen host looks.
   */
  blackhole(m: Master, on: boolean): void {
    if (on) {
      // One transaction, so the silence starts at one instant.
      run(
        'ip',
        ['netns', 'exec', m.ns, 'nft', '-f', '-'],
        [
          'table inet kha-blackhole {',
          '  chain in { type filter hook input priority -300; policy drop; }',
          '  chain out { type filter hook output priority -300; policy drop; }',
          '}',
        ].join('\n'),
      );
    } else {
      attempt('ip', ['netns', 'exec', m.ns, 'nft', 'delete', 'table', 'inet', 'kha-blackhole']);
    }
  }

  /** Switches a master's /healthz: ok, fail (500), slow (answers after ms), hang. */
  async control(m: Master, query: string): Promise<void> {
    this.controlRead(m, query);
  }

  /** The master's control answer (its mode and counters, JSON) after applying `query`. */
  controlRead(m: Master, query = ''): string {
    const r = attempt('ip', [
      'netns',
      'exec',
      m.ns,
      'curl',
      '-sf',
      `http://${m.ip}:${m.controlPort}/control?${query}`,
    ]);
    if (r.status !== 0) throw new Error(`control ${m.name} ${query}: ${r.stderr}`);
    return r.stdout;
  }

  destroy(): void {
    for (const m of this.masters) this.killMaster(m);
    // Deleting a veth's host end removes both ends at once; a deleted namespace's links go only
    // when the kernel gets round to it (and while a dying process still holds it), so the next
    // build() could find them still there.
    for (const link of ['vrouter', 'vpub', ...this.masters.map((m) => `v${m.name}`)])
      attempt('ip', ['link', 'del', link]);
    for (const ns of ['kha-router', 'kha-public', ...this.masters.map((m) => m.ns)])
      attempt('ip', ['netns', 'del', ns]);
    attempt('ip', ['link', 'del', 'kbr0']);
  }
}
