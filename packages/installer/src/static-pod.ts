// The kube-lvscare static pod: pure, from the join settings to the Pod object and its YAML.
import { dirname } from 'node:path';
import { type Endpoint, formatEndpoint } from '@kha/lvscare';
import yaml from 'js-yaml';
import { type MetricsAddress, formatMetricsAddress } from './metrics-address.js';

const POD_NAME = 'kube-lvscare';
export const MANIFEST_FILE = `${POD_NAME}.yaml`;

export interface StaticPodSettings {
  image: string;
  vip: Endpoint;
  masters: Endpoint[];
  /** Host path of the cluster CA; mounted read-only at the same path. */
  caFile: string;
  /** Further `lvscare care` flags, given through to the container as they are. */
  lvscareArgs: string[];
  /** Where lvscare serves /metrics (port `metrics`, scraped by Prometheus) and /healthz. */
  metricsAddress: MetricsAddress;
  /** Master discovery through the API with the kubelet's credentials; absent: --rs alone. */
  discovery?: PodDiscovery | undefined;
}

export interface PodDiscovery {
  /** The kubelet's kubeconfig, mounted read-only at the same path. */
  kubeconfig: string;
  /** Where the kubeconfig's client certificate lives (kubelet rotates it there): read-only. */
  certDir: string;
  /** lvscare's state file; its directory, lvscare's alone, is the pod's only writable mount. */
  stateFile: string;
  cidr: string | undefined;
}

/** kubeadm's layout: kubelet.conf names kubelet-client-current.pem in this directory. */
export const KUBELET_KUBECONFIG = '/etc/kubernetes/kubelet.conf';
export const KUBELET_CERT_DIR = '/var/lib/kubelet/pki';
/** A directory of lvscare's own under kha's, so the pod sees nothing else of kha's state. */
export const DISCOVERY_STATE_FILE = '/var/lib/kha/lvscare/masters.json';

/**
 * lvscare's liveness listener (`--liveness-address`, its default): loopback only and apart from
 * the public metrics port, so that no load on /metrics delays the answer kubelet restarts it by.
 */
export const LIVENESS = { host: '127.0.0.1', port: 9298 } as const;

/** `lvscare care` exactly as the container runs it. */
export function careArgs(settings: Omit<StaticPodSettings, 'image'>): string[] {
  return [
    'care',
    '--vs',
    formatEndpoint(settings.vip),
    ...settings.masters.flatMap((m) => ['--rs', formatEndpoint(m)]),
    '--health-ca-file',
    settings.caFile,
    '--metrics-address',
    formatMetricsAddress(settings.metricsAddress),
    '--liveness-address',
    `${LIVENESS.host}:${LIVENESS.port}`,
    ...(settings.discovery
      ? [
          '--kubeconfig',
          settings.discovery.kubeconfig,
          '--discover-state-file',
          settings.discovery.stateFile,
          ...(settings.discovery.cidr ? ['--discover-cidr', settings.discovery.cidr] : []),
        ]
      : []),
    ...settings.lvscareArgs,
  ];
}

interface Mount {
  name: string;
  path: string;
  type: 'File' | 'Directory' | 'DirectoryOrCreate';
  readOnly: boolean;
}

/** What the container sees of the host: the CA; with discovery, the credentials and the state. */
function hostMounts(s: StaticPodSettings): Mount[] {
  const mounts: Mount[] = [{ name: 'ca', path: s.caFile, type: 'File', readOnly: true }];
  const d = s.discovery;
  if (d) {
    // The kubelet writes kubelet.conf during its TLS bootstrap, before it starts any static pod,
    // so the File check never holds the pod back on a node kubeadm joined.
    mounts.push(
      { name: 'kubeconfig', path: d.kubeconfig, type: 'File', readOnly: true },
      { name: 'kubelet-pki', path: d.certDir, type: 'Directory', readOnly: true },
      { name: 'state', path: dirname(d.stateFile), type: 'DirectoryOrCreate', readOnly: false },
    );
  }
  return mounts;
}

// Sized from the footprint, discovery-flood and liveness-flood benches (figures in
// bench/RESULTS.md): the memory request covers the steady state and the limit the worst the
// discovery flood reached, with room to spare. No CPU limit: a failover daemon that is throttled
// misses its own deadlines and raises false alarms (kube-proxy and kubeadm's control plane pods
// set none). The CPU request is what the node guarantees it under contention, chosen above the
// share at which a metrics flood brought kubelet's liveness probe near its timeout.
const RESOURCES = {
  requests: { cpu: '50m', memory: '64Mi' },
  limits: { memory: '128Mi' },
};

/** kubelet's probes of the liveness listener: three failures ten seconds apart restart lvscare. */
const probeOf = (path: string) => ({
  httpGet: { host: LIVENESS.host, port: LIVENESS.port, path, scheme: 'HTTP' },
  periodSeconds: 10,
  timeoutSeconds: 5,
  failureThreshold: 3,
});

/** The Pod object as kha writes it (its YAML is the manifest). */
export type StaticPod = ReturnType<typeof staticPod>;

export function staticPod(settings: StaticPodSettings) {
  const metrics = settings.metricsAddress;
  const mounts = hostMounts(settings);
  const container = {
    name: 'lvscare',
    image: settings.image,
    imagePullPolicy: 'IfNotPresent',
    args: careArgs(settings),
    // Named so that a PodMonitor (manifests/monitoring) finds it; with the host's network the
    // pod's IP is the node's, so Prometheus scrapes NODE_IP:PORT.
    ports: [{ name: 'metrics', containerPort: metrics.port, protocol: 'TCP' }],
    livenessProbe: { ...probeOf('/healthz'), initialDelaySeconds: 10 },
    // Ready only while the VIP has a usable destination and its set-up (route or link) is in
    // place: /readyz says so, and kubectl shows a pod that is not doing its job as not ready.
    readinessProbe: probeOf('/readyz'),
    resources: RESOURCES,
    // IPVS, routes, the dummy link and the nft table are all NET_ADMIN; nothing else is needed,
    // in any mode. Root's uid stays so that the capability is effective without file caps.
    securityContext: {
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsUser: 0,
      capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    // /proc/sys is read-only in the container: kha join sets the IPVS sysctls on the host and
    // in /etc/sysctl.d, so lvscare finds them right and has nothing to write.
    volumeMounts: mounts.map((m) => ({ name: m.name, mountPath: m.path, readOnly: m.readOnly })),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: POD_NAME,
      namespace: 'kube-system',
      labels: { component: POD_NAME, tier: 'node', 'app.kubernetes.io/part-of': 'kha' },
    },
    spec: {
      hostNetwork: true,
      priorityClassName: 'system-node-critical',
      priority: 2000001000,
      // SIGTERM leaves the rules in place and lvscare exits within a second or two; the time
      // lets a reconcile or a state file write in flight finish before kubelet's SIGKILL.
      terminationGracePeriodSeconds: 10,
      containers: [container],
      volumes: mounts.map((m) => ({ name: m.name, hostPath: { path: m.path, type: m.type } })),
    },
  };
}

/** The manifest file: a header naming how it was made, then the Pod as YAML. */
export function renderManifest(settings: StaticPodSettings, madeBy: string): string {
  return `# ${madeBy}\n${yaml.dump(staticPod(settings), { lineWidth: -1, noRefs: true })}`;
}
