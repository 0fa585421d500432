// Where the pod's lvscare serves /metrics, /healthz and /readyz. The default is every address of
// the node: the pod shares the host's network, so this is what a cluster's Prometheus (on another
// node, or in the pod network) can reach, as with node-exporter. The endpoint is read-only.

export interface MetricsAddress {
  host: string;
  port: number;
}

export function formatMetricsAddress(address: MetricsAddress): string {
  return address.host.includes(':')
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}
