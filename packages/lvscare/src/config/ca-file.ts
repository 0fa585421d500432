// The CA file behind --health-ca-file, read once the flags are valid, through the one bounded
// reader: only a regular file of at most a CA bundle's size.
import { UsageError } from '../exit.js';
import { FileRefused, readRegularFile } from '../files/bounded-read.js';
import type { CareConfig } from './care-config.js';

/** A bundle of many CAs is a few hundred KiB; more is not a CA file. */
const MAX_CA_FILE_BYTES = 1 << 20;

const bad = (file: string, why: string) =>
  new UsageError(`--health-ca-file ${JSON.stringify(file)}: ${why}`);

/** The configuration with the CA's PEM in place, or a UsageError saying why the file will not do. */
export function loadCaFile(config: CareConfig): CareConfig {
  const file = config.health.caFile;
  if (file === undefined) return config;
  let pem: string;
  try {
    pem = readRegularFile(file, MAX_CA_FILE_BYTES).toString('utf8');
  } catch (err) {
    if (err instanceof FileRefused) throw bad(file, err.why);
    throw err;
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw bad(file, 'holds no PEM certificate');
  return { ...config, health: { ...config.health, ca: pem } };
}
