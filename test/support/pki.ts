// A throw-away CA and server certificates for fake API servers, made with openssl.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './run.js';

export interface TestPki {
  caCert: string;
  /** Certificate and key for one server, its IP addresses in the SANs, signed by the CA. */
  server(name: string, ips: string[]): { cert: string; key: string };
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
      const key = join(dir, `${name}.key`);
      const csr = join(dir, `${name}.csr`);
      const cert = join(dir, `${name}.crt`);
      const ext = join(dir, `${name}.ext`);
      run('sh', [
        '-c',
        `printf 'subjectAltName=%s\\nextendedKeyUsage=serverAuth\\n' "$1" > "$2"`,
        'sh',
        ['DNS:kubernetes', ...ips.map((ip) => `IP:${ip}`)].join(','),
        ext,
      ]);
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
        `/CN=${name}`,
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
    },
  };
}
