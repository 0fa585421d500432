// A kubelet kubeconfig shaped as kubeadm join writes /etc/kubernetes/kubelet.conf
// (kubeadm/app/phases/kubeconfig): one cluster with the CA inline, one user, one context.

export function kubeletConf(
  server: string,
  user: string,
  serverLine = `server: ${server}`,
): string {
  return `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${Buffer.from('not a real CA').toString('base64')}
    ${serverLine}
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: system:node:worker-1
  name: system:node:worker-1@kubernetes
current-context: system:node:worker-1@kubernetes
kind: Config
users:
- name: system:node:worker-1
  user:
${user}`;
}

/** kubeadm's user: the certificate kubelet rotates, in a file. */
export const ROTATED_CERT = `    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem
    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem
`;
