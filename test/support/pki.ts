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
  /**
   * A client certificate valid for `seconds` from now only, as a kubelet's certificate near its
   * end; `file` names it (kubelet's dated kubelet-client-<date>.pem files).
   */
  shortLivedClient(
    cn: string,
    org: string,
    seconds: number,
    file: string,
  ): { cert: string; key: string };
}

/** openssl ca's date form, YYMMDDHHMMSSZ (UTC). */
function asn1Time(d: Date): string {
  return `${d.toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`;
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
    shortLivedClient(cn, org, seconds, file) {
      // `openssl x509 -req` takes whole days only; `openssl ca` takes exact start and end dates.
      const ca = join(dir, `${caName}-ca`);
      mkdirSync(join(ca, 'new'), { recursive: true });
      writeFileSync(join(ca, 'index.txt'), '', { flag: 'a' });
      writeFileSync(join(ca, 'serial'), `${Date.now().toString(16).padStart(16, '0')}\n`);
      const config = join(ca, 'openssl.cnf');
      writeFileSync(
        config,
        [
          '[ca]',
          'default_ca = test',
          '[test]',
          `database = ${join(ca, 'index.txt')}`,
          `new_certs_dir = ${join(ca, 'new')}`,
          `certificate = ${caCert}`,
          `private_key = ${caKey}`,
          `serial = ${join(ca, 'serial')}`,
          'default_md = sha256',
          'policy = any',
          'preserve = yes',
          'unique_subject = no',
          '[any]',
          'organizationName = optional',
          'commonName = supplied',
          '[client]',
          'extendedKeyUsage = clientAuth',
          '',
        ].join('\n'),
      );
      const key = join(dir, `${file}.key`);
      const csr = join(dir, `${file}.csr`);
      const cert = join(dir, `${file}.pem`);
      newKeyAndRequest(key, csr, `/O=${org}/CN=${cn}`);
      const now = Date.now();
      run('openssl', [
        'ca',
        '-batch',
        '-config',
        config,
        '-in',
        csr,
        '-out',
        cert,
        '-notext',
        '-extensions',
        'client',
        '-startdate',
        asn1Time(new Date(now - 60_000)),
        '-enddate',
        asn1Time(new Date(now + seconds * 1000)),
      ]);
      return { cert, key };
    },
  };
  function sign(name: string, subject: string, extensions: string): { cert: string; key: string } {
    const key = join(dir, `${name}.key`);
    const csr = join(dir, `${name}.csr`);
    const cert = join(dir, `${name}.crt`);
    const ext = join(dir, `${name}.ext`);
    writeFileSync(ext, extensions);
    newKeyAndRequest(key, csr, subject);
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

/** A P-256 key and a certificate request for `subject`. */
function newKeyAndRequest(key: string, csr: string, subject: string): void {
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
}
