// kubeadm join takes the API server address kubelet will use from the cluster's public
// `cluster-info` ConfigMap, not from the endpoint it is given. Pure: the ConfigMap's JSON in, the
// server and CA out, and whether it goes through the VIP's name.
import { X509Certificate, createHash } from 'node:crypto';
import yaml from 'js-yaml';
import { APISERVER_NAME } from './hosts-file.js';

export const CLUSTER_INFO_PATH = '/api/v1/namespaces/kube-public/configmaps/cluster-info';

export interface ClusterInfo {
  /** clusters[0].cluster.server of the kubeconfig in the ConfigMap. */
  server: string;
  /** The cluster CA (PEM), from certificate-authority-data. */
  caPem: string | undefined;
}

/** Reads the ConfigMap's body; throws with what is wrong with it. */
export function parseClusterInfo(body: string): ClusterInfo {
  let cm: { data?: { kubeconfig?: unknown } };
  try {
    cm = JSON.parse(body) as typeof cm;
  } catch {
    throw new Error('cluster-info: the answer is not JSON');
  }
  const kubeconfig = cm?.data?.kubeconfig;
  if (typeof kubeconfig !== 'string') throw new Error('cluster-info: no data.kubeconfig');
  const config = yaml.load(kubeconfig) as {
    clusters?: Array<{ cluster?: { server?: unknown; 'certificate-authority-data'?: unknown } }>;
  };
  const cluster = config?.clusters?.[0]?.cluster;
  if (typeof cluster?.server !== 'string') throw new Error('cluster-info: no cluster server');
  const data = cluster['certificate-authority-data'];
  return {
    server: cluster.server,
    caPem: typeof data === 'string' ? Buffer.from(data, 'base64').toString('utf8') : undefined,
  };
}

/** "sha256:<hex>" of a certificate's SubjectPublicKeyInfo, as --discovery-token-ca-cert-hash. */
export function caCertHash(pem: string): string {
  const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** The --discovery-token-ca-cert-hash values among kubeadm's arguments. */
export function caCertHashes(kubeadmArgs: readonly string[]): string[] {
  const out: string[] = [];
  kubeadmArgs.forEach((a, i) => {
    if (a === '--discovery-token-ca-cert-hash' && kubeadmArgs[i + 1] !== undefined)
      out.push(kubeadmArgs[i + 1]!);
    else if (a.startsWith('--discovery-token-ca-cert-hash='))
      out.push(a.slice('--discovery-token-ca-cert-hash='.length));
  });
  return out
    .flatMap((v) => v.split(','))
    .map((v) => v.trim().toLowerCase())
    .filter(Boolean);
}

/** The server kubelet should be given: the VIP's name and port. */
function wantedServer(port: number): string {
  return `https://${APISERVER_NAME}:${port}`;
}

/** Why the cluster-info server does not go through the VIP, or undefined when it does. */
export function serverProblem(server: string, port: number): string | undefined {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return `cluster-info's server ${JSON.stringify(server)} is not a URL`;
  }
  const urlPort = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (url.hostname.toLowerCase() === APISERVER_NAME && urlPort === port) return undefined;
  return `the cluster's cluster-info (kube-public) gives kubelet the API server ${server}, not ${wantedServer(port)}: kubelet would bypass the VIP. Set controlPlaneEndpoint: ${APISERVER_NAME}:${port} in the masters' kubeadm ClusterConfiguration (and the masters' certificate SANs), then re-upload cluster-info (kubeadm init phase bootstrap-token); or give --ignore-control-plane-endpoint to join anyway`;
}
