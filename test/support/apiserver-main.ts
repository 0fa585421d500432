// `node apiserver-main.js NAME HOST PORT CERT KEY CONTROL_PORT [ALT_CERT ALT_KEY]`: a fake
// kube-apiserver as its own process, to run inside a master's network namespace. With
// KHA_REGISTRY_FILE and KHA_CLIENT_CA set it also serves the registration (kube-api.ts).
import { startFakeApiserver } from './apiserver.js';

const [name, host, port, cert, key, controlPort, altCert, altKey] = process.argv.slice(2);
if (!name || !host || !port || !cert || !key || !controlPort) {
  console.error('usage: apiserver-main NAME HOST PORT CERT KEY CONTROL_PORT [ALT_CERT ALT_KEY]');
  process.exit(2);
}
const api = await startFakeApiserver({
  name,
  host,
  port: Number(port),
  cert,
  key,
  controlPort: Number(controlPort),
  altCert,
  altKey,
  registryFile: process.env.KHA_REGISTRY_FILE || undefined,
  clientCa: process.env.KHA_CLIENT_CA || undefined,
  bookmarkMs: process.env.KHA_BOOKMARK_MS ? Number(process.env.KHA_BOOKMARK_MS) : undefined,
});
console.log(`fake apiserver ${name} on ${host}:${api.port}, control ${api.controlPort}`);
process.on('SIGTERM', () => void api.close().then(() => process.exit(0)));
