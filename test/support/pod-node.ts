// A worker's files for the pod scenarios: kha join and reset against a temporary hosts file,
// manifest, modules-load and sysctl directory, as test/kernel/kha-join.test.ts does, with the
// built image; what is left afterwards, for the "nothing left" checks.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KHA_BIN } from './artifact.js';
import { savedRules } from './ipvsadm.js';
import { IMAGE_TAG, StaticPod, loadImage } from './pod.js';
import { waitForMastersUp } from './pod-metrics.js';
import { attempt } from './run.js';

export const HOSTS_BEFORE = '127.0.0.1\tlocalhost\n::1 localhost ip6-localhost\n';

export class PodNode {
  readonly dir = mkdtempSync(join(tmpdir(), 'kha-pod-node-'));
  readonly hosts = join(this.dir, 'hosts');
  readonly manifests = join(this.dir, 'manifests');
  readonly flags = [
    '--hosts-file',
    this.hosts,
    '--manifest-dir',
    this.manifests,
    '--modules-load-dir',
    join(this.dir, 'modules-load.d'),
    '--sysctl-dir',
    join(this.dir, 'sysctl.d'),
    // kha's join record, as kha-join.test.ts keeps it: /var/lib is read-only in the VM.
    '--state-dir',
    join(this.dir, 'state'),
  ];

  /** `kha` is how kha is run: the bundle by default, or e.g. a release archive's launcher. */
  constructor(readonly kha: readonly [string, ...string[]] = [KHA_BIN]) {
    writeFileSync(this.hosts, HOSTS_BEFORE);
    chmodSync(this.hosts, 0o644);
    mkdirSync(this.manifests);
  }

  get manifest(): string {
    return join(this.manifests, 'kube-lvscare.yaml');
  }

  /** kha join --skip-kubeadm with the built image; throws with kha's output when it fails. */
  join(masters: string[], caFile: string, extra: string[] = []): string {
    const r = spawnSync(
      this.kha[0],
      [
        ...this.kha.slice(1),
        'join',
        ...masters.flatMap((m) => ['--master', m]),
        ...this.flags,
        '--ca-file',
        caFile,
        '--image',
        IMAGE_TAG,
        '--skip-kubeadm',
        // The VM has no kubelet, so no kubelet.conf for discovery's read-only mount.
        '--no-discover',
        ...extra,
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`kha join exited ${r.status}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /**
   * kha reset as on a node with kubelet: reset removes the manifest and waits for lvscare to
   * stop; `onManifestGone` plays kubelet's part (stopping the pod) once the file is gone.
   */
  async reset(onManifestGone: () => void, waitS = 60): Promise<{ status: number; out: string }> {
    const child = spawn(
      this.kha[0],
      [...this.kha.slice(1), 'reset', ...this.flags, '--wait', String(waitS)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number>((r) => child.once('exit', (code) => r(code ?? -1)));
    const deadline = Date.now() + waitS * 1000;
    while (existsSync(this.manifest) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    if (!existsSync(this.manifest)) onManifestGone();
    return { status: await exited, out };
  }

  /** What join leaves and reset must take away, as the kernel and the file system show it. */
  leftovers(vip: string): Record<string, unknown> {
    const files = (sub: string) =>
      existsSync(join(this.dir, sub)) ? readdirSync(join(this.dir, sub)) : [];
    return {
      rules: savedRules(),
      route: attempt('ip', ['route', 'show', 'table', 'all', `${vip}/32`]).stdout.trim(),
      link: attempt('ip', ['-o', 'link', 'show', 'lvscare']).stdout.trim(),
      natTable: attempt('nft', ['list', 'table', 'ip', 'kha-lvscare']).stdout.trim(),
      hostsChanged: readFileSync(this.hosts, 'utf8') !== HOSTS_BEFORE,
      hostsBackup: existsSync(`${this.hosts}.kha-backup`),
      manifests: files('manifests'),
      modulesLoad: files('modules-load.d'),
      sysctl: files('sysctl.d'),
    };
  }
}

export const NOTHING_LEFT = {
  rules: [],
  route: '',
  link: '',
  natTable: '',
  hostsChanged: false,
  hostsBackup: false,
  manifests: [],
  modulesLoad: [],
  sysctl: [],
};

/** Starting a pod under an emulated CPU: the infra container, node's start-up, first probes. */
export const POD_START_MS = 120_000;

/**
 * The deployed daemon, settled: kha join writes the manifest with the built image, podman kube
 * play runs it, and lvscare reports every master up. For the pod scenarios, and for a test that
 * scrapes the pod (`pod.metricsAddress`); `pod.down()` stops it.
 */
export async function startJoinedPod(
  masters: Array<{ ip: string; port: number }>,
  caFile: string,
  joinArgs: string[] = [],
): Promise<{ node: PodNode; pod: StaticPod }> {
  loadImage();
  const node = new PodNode();
  node.join(
    masters.map((m) => m.ip),
    caFile,
    joinArgs,
  );
  const pod = StaticPod.play(node.manifest);
  await waitForMastersUp(
    pod.metricsAddress,
    masters.map((m) => `${m.ip}:${m.port}`),
    POD_START_MS,
    () => pod.logs(),
  );
  return { node, pod };
}
