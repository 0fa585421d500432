// The programs the kernel tier runs: the image artifact (npm run build writes dist/image with
// scripts/bundle.mjs; docker/Dockerfile copies the same directory), started through their own
// first line as an operator or the image's entrypoint starts them. KHA_LVSCARE_BIN / KHA_BIN
// point elsewhere, e.g. at packages/*/bin to run the unbundled workspace.
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';

function executable(envName: string, bundled: string): string {
  const path =
    process.env[envName] ??
    fileURLToPath(new URL(`../../../dist/image/${bundled}`, import.meta.url));
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`${path} is not an executable: run npm run build (or set ${envName})`);
  }
  return path;
}

export const LVSCARE_BIN = executable('KHA_LVSCARE_BIN', 'lvscare.mjs');
export const KHA_BIN = executable('KHA_BIN', 'kha.mjs');
