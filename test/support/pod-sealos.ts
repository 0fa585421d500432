// sealos' own static pod for lvscare, in the shape its installer writes (labring/sealos,
// pkg/ipvs: LvsStaticPodYaml): pod and container kube-sealos-lvscare, `command:
// [/usr/bin/lvscare]`, `care --vs VIP:PORT --health-path /healthz --health-schem https --rs ...`,
// privileged, host network, /lib/modules mounted read-only from the host. A drop-in image must
// run under it unchanged.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

const repo = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * The host's module tree for the /lib/modules volume. The test VM runs on a host root that has
 * none (its kernel's modules are in .cache/kernel); the mount is sealos' and lvscare never reads
 * it, so the path only has to exist.
 */
function modulesDir(): string {
  for (const d of [
    '/lib/modules',
    join(repo, '.cache/kernel/current/root/lib/modules'),
    join(repo, '.cache/kernel/current/root/usr/lib/modules'),
  ])
    if (existsSync(d)) return d;
  throw new Error('no /lib/modules and no kernel in .cache/kernel: run test/vm/provision.sh');
}

/** Writes sealos' manifest for these masters into a temp dir; returns its path. */
export function writeSealosManifest(vip: string, masters: string[], image: string): string {
  const name = 'kube-sealos-lvscare';
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'kube-system' },
    spec: {
      containers: [
        {
          name,
          image,
          command: ['/usr/bin/lvscare'],
          args: [
            'care',
            '--vs',
            vip,
            '--health-path',
            '/healthz',
            '--health-schem',
            'https',
            ...masters.flatMap((m) => ['--rs', m]),
          ],
          imagePullPolicy: 'IfNotPresent',
          securityContext: { privileged: true },
          volumeMounts: [{ name: 'lib-modules', mountPath: '/lib/modules', readOnly: true }],
        },
      ],
      hostNetwork: true,
      priorityClassName: 'system-node-critical',
      volumes: [{ name: 'lib-modules', hostPath: { path: modulesDir(), type: '' } }],
    },
  };
  const file = join(mkdtempSync(join(tmpdir(), 'kha-sealos-')), `${name}.yaml`);
  writeFileSync(file, yaml.dump(pod));
  return file;
}
