// The CA file behind --health-ca-file, read once the flags are valid. Only a regular file is
// opened: a FIFO or a device would block start-up forever, a directory says nothing.
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { UsageError } from '../exit.js';
import type { CareConfig } from './care-config.js';

const bad = (file: string, why: string) =>
  new UsageError(`--health-ca-file ${JSON.stringify(file)}: ${why}`);

/** The configuration with the CA's PEM in place, or a UsageError saying why the file will not do. */
export function loadCaFile(config: CareConfig): CareConfig {
  const file = config.health.caFile;
  if (file === undefined) return config;
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw bad(
      file,
      `cannot be read (${err instanceof Error && 'code' in err ? String(err.code) : String(err)})`,
    );
  }
  let pem: string;
  try {
    if (!fstatSync(fd).isFile()) throw bad(file, 'not a regular file');
    pem = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw bad(file, 'holds no PEM certificate');
  return { ...config, health: { ...config.health, ca: pem } };
}
