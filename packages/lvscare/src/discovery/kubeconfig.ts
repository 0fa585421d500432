// The kubelet's kubeconfig (/etc/kubernetes/kubelet.conf): the API server's URL, the CA and the
// client certificate, as kubectl resolves them: current-context -> cluster + user, *-data inline
// (base64) or a file path relative to the kubeconfig's own directory. Every file is read through
// the bounded reader: a regular file of at most a credential's size, symbolic links followed (the
// kubelet's kubelet-client-current.pem is one, repointed when it rotates its certificate).
import { dirname, isAbsolute, join } from 'node:path';
import { FileRefused, readRegularFile } from '../files/bounded-read.js';
import { MAX_CREDENTIAL_BYTES, MAX_KUBECONFIG_BYTES } from './limits.js';

export interface KubeCredentials {
  server: URL;
  ca: Buffer | undefined;
  cert: Buffer | undefined;
  key: Buffer | undefined;
  token: string | undefined;
  /** The name the server certificate must carry, when it is not the URL's host. */
  serverName: string | undefined;
  insecureSkipVerify: boolean;
}

export class KubeconfigError extends Error {}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function named(list: unknown, name: string, kind: string, key: string): Obj {
  if (!Array.isArray(list)) throw new KubeconfigError(`no ${kind}s`);
  const hit: unknown = list.find((e) => isObj(e) && e.name === name);
  if (!isObj(hit) || !isObj(hit[key])) throw new KubeconfigError(`${kind} "${name}" not found`);
  return hit[key];
}

const str = (o: Obj, k: string): string | undefined => {
  const v = o[k];
  return typeof v === 'string' && v !== '' ? v : undefined;
};

/** Parses a kubeconfig; `read` loads the files it names (kept injectable for tests). */
export async function parseKubeconfig(
  text: string,
  path: string,
  read: (file: string) => Promise<Buffer> = readCredentialFile,
): Promise<KubeCredentials> {
  // js-yaml loads here, when master discovery reads the kubeconfig: a daemon with fixed
  // masters never parses YAML and should not hold the parser (bench/README.md, footprint).
  const yaml = (await import('js-yaml')).default;
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    throw new KubeconfigError(`not YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isObj(doc)) throw new KubeconfigError('not a kubeconfig (no mapping at the top)');
  const current = str(doc, 'current-context');
  if (!current) throw new KubeconfigError('no current-context');
  const context = named(doc.contexts, current, 'context', 'context');
  const clusterName = str(context, 'cluster');
  if (!clusterName) throw new KubeconfigError(`context "${current}" names no cluster`);
  const cluster = named(doc.clusters, clusterName, 'cluster', 'cluster');
  const userName = str(context, 'user');
  const user = userName ? named(doc.users, userName, 'user', 'user') : {};
  const serverText = str(cluster, 'server');
  if (!serverText) throw new KubeconfigError(`cluster "${clusterName}" has no server`);
  let server: URL;
  try {
    server = new URL(serverText);
  } catch {
    throw new KubeconfigError(`server ${JSON.stringify(serverText)} is not a URL`);
  }
  if (server.protocol !== 'https:')
    throw new KubeconfigError(`server ${serverText}: only https is supported`);
  const base = dirname(path);
  const material = async (o: Obj, field: string): Promise<Buffer | undefined> => {
    const data = str(o, `${field}-data`);
    if (data) return Buffer.from(data, 'base64');
    const file = str(o, field);
    if (!file) return undefined;
    const full = isAbsolute(file) ? file : join(base, file);
    return readNamed(field, full, read);
  };
  const tokenFile = str(user, 'tokenFile');
  return {
    server,
    ca: await material(cluster, 'certificate-authority'),
    cert: await material(user, 'client-certificate'),
    key: await material(user, 'client-key'),
    token:
      str(user, 'token') ??
      (tokenFile
        ? (
            await readNamed(
              'tokenFile',
              isAbsolute(tokenFile) ? tokenFile : join(base, tokenFile),
              read,
            )
          )
            .toString('utf8')
            .trim()
        : undefined),
    serverName: str(cluster, 'tls-server-name'),
    insecureSkipVerify: cluster['insecure-skip-tls-verify'] === true,
  };
}

async function readNamed(
  field: string,
  file: string,
  read: (file: string) => Promise<Buffer>,
): Promise<Buffer> {
  try {
    return await read(file);
  } catch (err) {
    if (err instanceof FileRefused) throw new KubeconfigError(`${field} ${err.message}`);
    throw new KubeconfigError(
      `${field} ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
}

/** A file the kubeconfig names: certificate, key, CA, token. */
const readCredentialFile = (file: string): Promise<Buffer> =>
  Promise.resolve().then(() => readRegularFile(file, MAX_CREDENTIAL_BYTES));

/**
 * Reads the kubeconfig afresh: the kubelet rotates its client certificate in place
 * (kubelet-client-current.pem), so every new connection loads the current one.
 */
export async function loadKubeconfig(path: string): Promise<KubeCredentials> {
  let text: string;
  try {
    text = readRegularFile(path, MAX_KUBECONFIG_BYTES).toString('utf8');
  } catch (err) {
    throw new KubeconfigError(err instanceof Error ? err.message : String(err));
  }
  return parseKubeconfig(text, path);
}
