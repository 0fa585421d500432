// The Node lvscare runs on, as the API knows it: the kubelet's client certificate says
// `CN=system:node:<name>`, the identity the Node authorizer grants the node's rights to.
import { X509Certificate } from 'node:crypto';

const NODE_USER = /^CN=system:node:(.+)$/m;

/** The node name in a kubelet's client certificate (PEM), or undefined when it names none. */
export function nodeNameOfCertificate(pem: Buffer | undefined): string | undefined {
  if (!pem) return undefined;
  try {
    return NODE_USER.exec(new X509Certificate(pem).subject)?.[1];
  } catch {
    return undefined;
  }
}
