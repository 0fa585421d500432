// The static pod under a real container runtime: podman kube play stands in for kubelet, reading
// the same Pod YAML from the manifest directory, with the image npm run image built
// (dist/lvscare-image.tar). Kubelet keeps a static pod's spec in memory and stops the pod when
// its file goes; StaticPod keeps the text it played for the same reason.
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { attempt, run } from './run.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const version = (
  JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }
).version;

export const IMAGE_ARCHIVE = join(repo, 'dist', 'lvscare-image.tar');
/**
 * The name npm run image gives the image, loaded into the VM's podman under it: `localhost/`, a
 * registry of nobody else's (a bare kha/lvscare would be docker.io's).
 */
export const IMAGE_TAG = `localhost/kha/lvscare:${version}`;

/** The Node release the image ships (and the release archives): docker/Dockerfile's NODE_VERSION. */
export function imageNodeVersion(): string {
  const arg = /^ARG NODE_VERSION=(\d+\.\d+\.\d+)$/m.exec(
    readFileSync(join(repo, 'docker', 'Dockerfile'), 'utf8'),
  );
  if (!arg) throw new Error('docker/Dockerfile: no ARG NODE_VERSION=x.y.z');
  return `v${arg[1]}`;
}

export function podman(...args: string[]): string {
  return run('podman', args);
}

/** Loads the image from the archive unless the store has it (the VM's store lives until power-off). */
export function loadImage(): void {
  if (attempt('podman', ['image', 'exists', IMAGE_TAG]).status === 0) return;
  if (!existsSync(IMAGE_ARCHIVE))
    throw new Error(`${IMAGE_ARCHIVE} is missing: run npm run image (test-all.sh does)`);
  podman('load', '--quiet', '--input', IMAGE_ARCHIVE);
  if (attempt('podman', ['image', 'exists', IMAGE_TAG]).status !== 0)
    throw new Error(`podman load of ${IMAGE_ARCHIVE} did not give ${IMAGE_TAG}`);
}

interface PodSpec {
  metadata: { name: string };
  spec: {
    containers: Array<{
      name: string;
      image: string;
      args?: string[];
      livenessProbe?: {
        httpGet?: { host?: string; port: number; path: string; scheme?: string };
        periodSeconds?: number;
        timeoutSeconds?: number;
        failureThreshold?: number;
      };
    }>;
  };
}

/**
 * The manifest as podman is given it. podman 4.3 turns a container's `ports` into port mappings
 * and refuses them on the host network ("PortMappings can only be used with Bridge or slirp4netns
 * networking"); kubelet maps nothing for a hostNetwork pod, where `containerPort` only names the
 * port (the PodMonitor selects it by name). So a hostNetwork pod's `ports` are left out, and
 * nothing else changes: the listener is the same, set by lvscare's --metrics-address.
 */
export function asPodmanPlays(text: string): string {
  const pod = yaml.load(text) as {
    spec: { hostNetwork?: boolean; containers: Array<Record<string, unknown>> };
  };
  if (!pod.spec.hostNetwork || !pod.spec.containers.some((c) => 'ports' in c)) return text;
  for (const c of pod.spec.containers) delete c.ports;
  return yaml.dump(pod, { lineWidth: -1, noRefs: true });
}

export class StaticPod {
  readonly spec: PodSpec;
  /** The text played: podman kube down needs it after kha reset removed the file. */
  private readonly played: string;

  private constructor(readonly manifestPath: string) {
    const text = readFileSync(manifestPath, 'utf8');
    this.spec = yaml.load(text) as PodSpec;
    this.played = join(tmpdir(), `kha-played-${this.spec.metadata.name}-${process.pid}.yaml`);
    writeFileSync(this.played, asPodmanPlays(text));
  }

  /** podman kube play of the manifest file as it is, less what asPodmanPlays says. */
  static play(manifestPath: string): StaticPod {
    const pod = new StaticPod(manifestPath);
    podman('kube', 'play', '--quiet', pod.played);
    return pod;
  }

  get name(): string {
    return this.spec.metadata.name;
  }

  /** podman names a kube container <pod>-<container>. */
  get container(): string {
    return `${this.name}-${this.spec.spec.containers[0]!.name}`;
  }

  get args(): string[] {
    return this.spec.spec.containers[0]!.args ?? [];
  }

  /** Where lvscare serves /metrics and /healthz: its --metrics-address, else its default. */
  get metricsAddress(): string {
    const args = this.args;
    const i = args.indexOf('--metrics-address');
    if (i >= 0) return args[i + 1]!;
    const eq = args.find((a) => a.startsWith('--metrics-address='));
    return eq ? eq.slice('--metrics-address='.length) : '127.0.0.1:9299';
  }

  /** The URL kubelet's httpGet liveness probe requests, from the manifest. */
  get livenessUrl(): string | undefined {
    const g = this.spec.spec.containers[0]!.livenessProbe?.httpGet;
    if (!g) return undefined;
    const host = g.host ?? '127.0.0.1';
    return `${(g.scheme ?? 'HTTP').toLowerCase()}://${host.includes(':') ? `[${host}]` : host}:${g.port}${g.path}`;
  }

  /**
   * Runs a program of the image in the main process' mount namespace and root, from outside.
   * Not podman exec: under runc's no-pivot mode (the VM runs in a chroot) an exec'd process joins
   * the container's mount namespace without its root.
   */
  inside(...cmd: string[]): { status: number; stdout: string; stderr: string } {
    return attempt('nsenter', [`--target=${this.pid()}`, '--mount', '--root', ...cmd]);
  }

  /** The container's main process (lvscare), by its pid outside: no assumption about the
   * container's pid namespace (a privileged pod's container may share the node's). */
  pid(): number {
    return Number(podman('inspect', '--format', '{{.State.Pid}}', this.container).trim());
  }

  /** A file of the main process' /proc directory, read from outside: the kernel's view of it. */
  proc(file: string): string {
    return readFileSync(`/proc/${this.pid()}/${file}`, 'utf8');
  }

  /** The main process' /proc status fields (CapEff, NoNewPrivs, ...). */
  status(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of this.proc('status').split('\n')) {
      const i = line.indexOf(':');
      if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
    }
    return out;
  }

  /** The main process' argv. */
  argv(): string[] {
    return this.proc('cmdline').split('\0').filter(Boolean);
  }

  /** The main process' executable: where it is, and (run through /proc) its --version. */
  exe(): { path: string; version: string } {
    const link = `/proc/${this.pid()}/exe`;
    return { path: readlinkSync(link), version: run(link, ['--version']).trim() };
  }

  exists(): boolean {
    return attempt('podman', ['pod', 'exists', this.name]).status === 0;
  }

  state(): string {
    return podman('inspect', '--format', '{{.State.Status}}', this.container).trim();
  }

  logs(): string {
    const r = attempt('podman', ['logs', this.container]);
    return r.stdout + r.stderr;
  }

  /** podman kube down, as kubelet stops a static pod whose file went. */
  down(): void {
    podman('kube', 'down', this.played);
  }
}

/** Every pod and container podman knows of, for checking that nothing was left. */
export function podmanLeftovers(): string[] {
  return [
    ...podman('pod', 'ps', '--format', 'pod {{.Name}}').split('\n'),
    ...podman('ps', '--all', '--format', 'container {{.Names}}').split('\n'),
  ].filter((l) => l.trim() !== '');
}
