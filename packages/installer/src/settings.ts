// kha's flags, checked into settings before anything is touched: every problem here is bad
// input (exit 2) and nothing has been written yet.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  type CareConfig,
  type Endpoint,
  UsageError,
  VERSION,
  careConfigOf,
  formatEndpoint,
} from '@kha/lvscare';
import { parseMasters } from './masters.js';
import { DEFAULT_STATE_DIR } from './state.js';
import { DEFAULT_VIP, parseVip } from './vip.js';

export const DEFAULTS = {
  vip: DEFAULT_VIP,
  image: `kha/lvscare:${VERSION}`,
  manifestDir: '/etc/kubernetes/manifests',
  hostsFile: '/etc/hosts',
  caFile: '/etc/kubernetes/pki/ca.crt',
  modulesLoadDir: '/etc/modules-load.d',
  sysctlDir: '/etc/sysctl.d',
  stateDir: DEFAULT_STATE_DIR,
};

/** Flags kha sets itself in the pod; giving them through --lvscare-arg would contradict it. */
const OWN_FLAGS = ['--vs', '--rs', '--run-once', '--clean', '-C', '--health-ca-file'];

export interface RawKhaFlags {
  vip?: string | undefined;
  master?: Array<string | number> | undefined;
  image?: string | undefined;
  manifestDir?: string | undefined;
  hostsFile?: string | undefined;
  caFile?: string | undefined;
  modulesLoadDir?: string | undefined;
  sysctlDir?: string | undefined;
  stateDir?: string | undefined;
  lvscareArg?: Array<string | number> | undefined;
}

export interface Paths {
  manifestDir: string;
  hostsFile: string;
  modulesLoadDir: string;
  sysctlDir: string;
  /** kha's own record of what join did (state.json), read by reset. */
  stateDir: string;
}

export interface PodSettings {
  vip: Endpoint;
  masters: Endpoint[];
  image: string;
  caFile: string;
  lvscareArgs: string[];
  /** What lvscare runs with: the rules step uses it exactly as `lvscare care --run-once`. */
  care: CareConfig;
}

export type KhaSettings = PodSettings & Paths;

/** A directory kha can create files in: it exists (or its nearest existing parent does) and is writable. */
export function checkWritableDir(flag: string, path: string): void {
  let p = resolve(path);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      const up = dirname(p);
      if (up === p) break;
      p = up;
      continue;
    }
    if (!isDir) throw new UsageError(`--${flag} ${JSON.stringify(path)}: ${p} is not a directory`);
    try {
      accessSync(p, constants.W_OK);
    } catch (err) {
      throw new UsageError(
        `--${flag} ${JSON.stringify(path)}: ${p} is not writable (${(err as NodeJS.ErrnoException).code}); run as root on a writable file system`,
      );
    }
    return;
  }
}

function checkHostsFile(path: string): void {
  let regular: boolean;
  try {
    regular = statSync(path).isFile();
  } catch (err) {
    throw new UsageError(
      `--hosts-file ${JSON.stringify(path)}: cannot be read (${(err as NodeJS.ErrnoException).code})`,
    );
  }
  if (!regular) throw new UsageError(`--hosts-file ${JSON.stringify(path)}: not a regular file`);
  checkWritableDir('hosts-file', dirname(path));
}

export function pathsOf(raw: RawKhaFlags): Paths {
  const paths = {
    manifestDir: raw.manifestDir ?? DEFAULTS.manifestDir,
    hostsFile: raw.hostsFile ?? DEFAULTS.hostsFile,
    modulesLoadDir: raw.modulesLoadDir ?? DEFAULTS.modulesLoadDir,
    sysctlDir: raw.sysctlDir ?? DEFAULTS.sysctlDir,
    stateDir: raw.stateDir ?? DEFAULTS.stateDir,
  };
  checkHostsFile(paths.hostsFile);
  checkWritableDir('manifest-dir', paths.manifestDir);
  checkWritableDir('modules-load-dir', paths.modulesLoadDir);
  checkWritableDir('sysctl-dir', paths.sysctlDir);
  checkWritableDir('state-dir', paths.stateDir);
  return paths;
}

/** lvscare's own checks on the flags it will run with, reported as kha's flags. */
export async function lvscareConfig(
  vip: Endpoint,
  masters: Endpoint[],
  lvscareArgs: string[],
): Promise<CareConfig> {
  for (const a of lvscareArgs) {
    const own = OWN_FLAGS.find((f) => a === f || a.startsWith(`${f}=`));
    if (own)
      throw new UsageError(
        `--lvscare-arg ${JSON.stringify(a)}: kha sets ${own} itself (from --vip, --master, --ca-file)`,
      );
  }
  try {
    return await careConfigOf([
      '--vs',
      formatEndpoint(vip),
      ...masters.flatMap((m) => ['--rs', formatEndpoint(m)]),
      ...lvscareArgs,
    ]);
  } catch (err) {
    throw new UsageError(`--lvscare-arg: ${(err as Error).message}`);
  }
}

export function stringList(v: Array<string | number> | undefined): string[] {
  return (v ?? []).map(String);
}

/** What the static pod and the rules are made from. */
export async function podSettings(raw: RawKhaFlags): Promise<PodSettings> {
  const masters = parseMasters(stringList(raw.master));
  const vip = parseVip(raw.vip ?? DEFAULTS.vip, masters);
  const image = raw.image ?? DEFAULTS.image;
  if (!/^[a-z0-9][\w.\-/:@]*$/i.test(image))
    throw new UsageError(`--image ${JSON.stringify(image)}: not an image reference`);
  const caFile = raw.caFile ?? DEFAULTS.caFile;
  if (!caFile.startsWith('/'))
    throw new UsageError(`--ca-file ${JSON.stringify(caFile)}: must be an absolute path`);
  const lvscareArgs = stringList(raw.lvscareArg);
  const care = await lvscareConfig(vip, masters, lvscareArgs);
  return { vip, masters, image, caFile, lvscareArgs, care };
}

export async function khaSettings(raw: RawKhaFlags): Promise<KhaSettings> {
  const pod = await podSettings(raw);
  return { ...pod, ...pathsOf(raw) };
}
