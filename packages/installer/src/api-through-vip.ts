// adopt's proof that the VIP serves the API before kubelet is sent through it: GET /healthz on a
// connection to the VIP itself, the serving certificate verified for apiserver.cluster.local
// against the CA in the kubelet's kubeconfig, the kubelet's client certificate presented. A
// master whose certificate lacks that name fails here, not after kubelet was restarted.
import { request } from 'node:https';
import { type Endpoint, type KubeCredentials, formatEndpoint } from '@kha/lvscare';
import { APISERVER_NAME } from './hosts-file.js';

function healthzOnce(vip: Endpoint, c: KubeCredentials, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: vip.address,
        port: vip.port,
        path: '/healthz',
        servername: APISERVER_NAME,
        ca: c.ca,
        cert: c.cert,
        key: c.key,
        rejectUnauthorized: true,
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`answered ${res.statusCode}`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code ?? err.message)));
    req.end();
  });
}

/** Resolves once the VIP answers /healthz 200 as described; throws the last reason after `tries`. */
export async function checkApiThroughVip(
  vip: Endpoint,
  credentials: KubeCredentials,
  tries = 5,
  timeoutMs = 3000,
): Promise<void> {
  let last = '';
  for (let i = 0; i < tries; i++) {
    try {
      return await healthzOnce(vip, credentials, timeoutMs);
    } catch (err) {
      last = (err as Error).message;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  throw new Error(
    `https://${APISERVER_NAME}:${vip.port}/healthz through ${formatEndpoint(vip)}: ${last}`,
  );
}
