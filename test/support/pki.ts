// A throw-away CA and server certificates for fake API servers, made with openssl.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './run.js';

export interface TestPki {
  caCert: string;
  /** Certificate and key for one server, its IP addresses in the SANs, signed by the CA. */
  server(name: string, ips: string[]): { cert: string; key: string };
  /** A client certificate (CN and O as the API server reads user and group), signed by the CA. */
  client(cn: string, org: string): { cert: string; key: string };
}

export function makePki(dir: string, caName = 'kha-test-ca'): TestPki {
  mkdirSync(dir, { recursive: true });
  const caKey = join(dir, `${caName}.key`);
  const caCert = join(dir, `${caName}.crt`);
  run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    caCert,
    '-days',
    '2',
    '-subj',
    `/CN=${caName}`,
  ]);
  return {
    caCert,
    server(name, ips) {
      // As kubeadm signs an API server's certificate when controlPlaneEndpoint is
      // apiserver.cluster.local:6443: that name among its SANs, which kha adopt verifies.
      const sans = [
        'DNS:kubernetes',
        'DNS:apiserver.cluster.local',
        ...ips.map((ip) => `IP:${ip}`),
      ];
      const ext = `subjectAltName=${sans.join(',')}\nextendedKeyUsage=serverAuth\n`;
      return sign(name, `/CN=${name}`, ext);
    },
    client(cn, org) {
      const file = cn.replace(/[^A-Za-z0-9_.-]/g, '_');
      return sign(file, `/O=${org}/CN=${cn}`, 'extendedKeyUsage=clientAuth\n');
    },
  };
  function sign(name: string, subject: string, extensions: string): { cert: string; key: string } {
    const key = join(dir, `${name}.key`);
    const csr = join(dir, `${name}.csr`);
    const cert = join(dir, `${name}.crt`);
    const ext = join(dir, `${name}.ext`);
    writeFileSync(ext, extensions);
    run('openssl', [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      csr,
      '-subj',
      subject,
    ]);
    run('openssl', [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      caCert,
      '-CAkey',
      caKey,
      '-CAcreateserial',
      '-out',
      cert,
      '-days',
      '2',
      '-extfile',
      ext,
    ]);
    return { cert, key };
  }
}
