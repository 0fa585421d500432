// A kubelet.conf as kubeadm writes it: the CA inline, the client certificate and key in files.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeKubeconfig(
  dir: string,
  name: string,
  server: string,
  caFile: string,
  client: { cert: string; key: string } | undefined,
): string {
  const path = join(dir, `${name}.conf`);
  const caData = readFileSync(caFile).toString('base64');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- cluster:',
      `    certificate-authority-data: ${caData}`,
      `    server: ${server}`,
      '  name: default-cluster',
      'contexts:',
      '- context:',
      '    cluster: default-cluster',
      '    namespace: default',
      '    user: default-auth',
      '  name: default-context',
      'current-context: default-context',
      'preferences: {}',
      'users:',
      '- name: default-auth',
      '  user:',
      ...(client
        ? [`    client-certificate: ${client.cert}`, `    client-key: ${client.key}`]
        : ['    {}']),
      '',
    ].join('\n'),
  );
  return path;
}

/**
 * A node's kubeconfig with the CA as a file and, when the server's address is not in its
 * certificate (the VIP), the name to verify it by: what lvscare's discovery reads in the tests.
 */
export function writeNodeKubeconfig(
  file: string,
  server: string,
  caFile: string,
  client: { cert: string; key: string },
  serverName?: string,
): string {
  const cluster = [
    `server: "${server}"`,
    `certificate-authority: ${caFile}`,
    ...(serverName ? [`tls-server-name: ${serverName}`] : []),
  ].join(', ');
  writeFileSync(
    file,
    `clusters:
- name: c
  cluster: {${cluster}}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
users:
- name: u
  user: {client-certificate: ${client.cert}, client-key: ${client.key}}
`,
  );
  return file;
}
