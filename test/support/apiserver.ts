// A stand-in kube-apiserver: HTTPS with /healthz answering as the real one does ("ok", or 500
// listing the failed checks), the public cluster-info ConfigMap (kube-public) as kubeadm reads it,
// "/" answering its name for client traffic, and a plain-HTTP control port to switch its health,
// slowness, certificate or cluster-info server while it runs.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Server as HttpServer, createServer as createHttpServer } from 'node:http';
import { type Server as HttpsServer, createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { type KubeApiStats, kubeApi } from './kube-api.js';
import type { TestPki } from './pki.js';

export type HealthMode = 'ok' | 'fail' | 'slow' | 'hang';

export interface FakeApiserverOptions {
  name: string;
  host: string;
  port: number;
  cert: string;
  key: string;
  /** Another certificate/key pair, served after `/control?cert=alt`. */
  altCert?: string | undefined;
  altKey?: string | undefined;
  controlPort?: number | undefined;
  /** Serve the registration (EndpointSlices, Endpoints) from this registry file (registry.ts). */
  registryFile?: string | undefined;
  /** The CA client certificates must be signed by to read the registration. */
  clientCa?: string | undefined;
  bookmarkMs?: number | undefined;
  /** The cluster CA put in cluster-info; by default the test PKI's CA beside `cert`, when there. */
  caCert?: string | undefined;
  /** cluster-info's server; by default https://apiserver.cluster.local:6443 (kha's VIP name). */
  clusterInfoServer?: string | undefined;
}

export const CLUSTER_INFO_PATH = '/api/v1/namespaces/kube-public/configmaps/cluster-info';

/** The ConfigMap as kube-apiserver serves it to anonymous clients. */
export function clusterInfoBody(server: string, caPem: string | undefined): string {
  const ca = caPem
    ? `    certificate-authority-data: ${Buffer.from(caPem).toString('base64')}\n`
    : '';
  const kubeconfig = `apiVersion: v1\nclusters:\n- cluster:\n${ca}    server: ${server}\n  name: ""\ncontexts: null\ncurrent-context: ""\nkind: Config\npreferences: {}\nusers: null\n`;
  return JSON.stringify({
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: { name: 'cluster-info', namespace: 'kube-public' },
    data: { kubeconfig },
  });
}

export interface FakeApiserver {
  port: number;
  controlPort: number | undefined;
  /** TLS connections accepted so far. */
  connections(): number;
  /** /healthz requests answered so far. */
  healthzRequests(): number;
  /**
   * Probe load per prober, told apart by User-Agent ("" when none): /healthz requests, and TLS
   * connections whose first request was a /healthz of that agent (client traffic is not counted).
   */
  byAgent(): Record<string, AgentLoad>;
  setHealth(mode: HealthMode, slowMs?: number): void;
  /** What cluster-info gives as the API server. */
  setClusterInfoServer(server: string): void;
  useAltCert(alt: boolean): void;
  /** Requests to the registration API, when it is served. */
  apiStats: KubeApiStats | undefined;
  close(): Promise<void>;
}

export interface AgentLoad {
  healthz: number;
  connections: number;
}

export async function startFakeApiserver(o: FakeApiserverOptions): Promise<FakeApiserver> {
  let mode: HealthMode = 'ok';
  let slowMs = 0;
  let connections = 0;
  let healthz = 0;
  const sockets = new Set<Socket>();
  const agents: Record<string, AgentLoad> = {};
  const attributed = new WeakSet<Socket>();
  const caPath =
    o.caCert ??
    ['kha-test-ca.crt', 'ca.crt'].map((f) => join(dirname(o.cert), f)).find((f) => existsSync(f));
  const caPem = caPath ? readFileSync(caPath, 'utf8') : undefined;
  let clusterInfoServer = o.clusterInfoServer ?? 'https://apiserver.cluster.local:6443';
  const main = { cert: readFileSync(o.cert), key: readFileSync(o.key) };
  const alt =
    o.altCert && o.altKey
      ? { cert: readFileSync(o.altCert), key: readFileSync(o.altKey) }
      : undefined;
  const registration = o.registryFile
    ? kubeApi({ registryFile: o.registryFile, bookmarkMs: o.bookmarkMs })
    : undefined;
  // Client certificates are asked for, not required, as by a real kube-apiserver: probes come
  // without one, and the registration treats that as system:anonymous (api-authz.ts).
  const clientAuth = o.clientCa
    ? { requestCert: true, rejectUnauthorized: false, ca: readFileSync(o.clientCa) }
    : {};
  const server: HttpsServer = createHttpsServer(
    { ...main, ...clientAuth, keepAliveTimeout: 120_000 },
    (req, res) => {
      if (req.url === CLUSTER_INFO_PATH) {
        attributed.add(req.socket);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(clusterInfoBody(clusterInfoServer, caPem));
        return;
      }
      if (registration?.handle(req, res)) return;
      if (req.url?.startsWith('/healthz')) {
        healthz++;
        const load = (agents[req.headers['user-agent'] ?? ''] ??= { healthz: 0, connections: 0 });
        load.healthz++;
        if (!attributed.has(req.socket)) load.connections++;
        attributed.add(req.socket);
        const answer = (): void => {
          if (mode === 'fail') {
            res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
            res.end(
              '[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\nhealthz check failed\n',
            );
          } else {
            res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
            res.end('ok');
          }
        };
        if (mode === 'hang') return; // never answers
        if (mode === 'slow') setTimeout(answer, slowMs);
        else answer();
        return;
      }
      attributed.add(req.socket);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(o.name);
    },
  );
  server.on('secureConnection', (s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const api: FakeApiserver = {
    port: 0,
    controlPort: undefined,
    connections: () => connections,
    healthzRequests: () => healthz,
    byAgent: () => structuredClone(agents),
    setHealth(m, ms = 0) {
      mode = m;
      slowMs = ms;
    },
    setClusterInfoServer(server) {
      clusterInfoServer = server;
    },
    useAltCert(useAlt) {
      if (!alt) throw new Error('no alternative certificate configured');
      server.setSecureContext({ ...(useAlt ? alt : main), ...clientAuth });
      // A new certificate comes with a restarted apiserver: kept connections end.
      for (const s of sockets) s.destroy();
    },
    apiStats: registration?.stats,
    async close() {
      registration?.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      if (control) await new Promise<void>((r) => control!.close(() => r()));
    },
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  api.port = (server.address() as AddressInfo).port;
  let control: HttpServer | undefined;
  if (o.controlPort !== undefined) {
    control = createHttpServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://control');
      const h = url.searchParams.get('healthz');
      if (h) api.setHealth(h as HealthMode, Number(url.searchParams.get('ms') ?? 0));
      const server = url.searchParams.get('clusterInfoServer');
      if (server) api.setClusterInfoServer(server);
      const c = url.searchParams.get('cert');
      if (c) api.useAltCert(c === 'alt');
      res.end(
        JSON.stringify({
          name: o.name,
          mode,
          connections,
          healthz,
          byAgent: agents,
          api: registration?.stats,
        }),
      );
    });
    await new Promise<void>((resolve) => control!.listen(o.controlPort, o.host, () => resolve()));
    api.controlPort = (control.address() as AddressInfo).port;
  }
  return api;
}

/**
 * A stand-in API server on loopback serving the masters registered in `registryFile` to clients
 * with a certificate from `pki`'s CA: the discovery tests' server.
 */
export function startRegistryApiserver(
  pki: TestPki,
  registryFile: string,
  bookmarkMs: number,
): Promise<FakeApiserver> {
  return startFakeApiserver({
    name: 'm1',
    host: '127.0.0.1',
    port: 0,
    ...pki.server('apiserver', ['127.0.0.1']),
    registryFile,
    clientCa: pki.caCert,
    bookmarkMs,
  });
}
