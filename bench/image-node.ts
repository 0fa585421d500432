// The node the image runs lvscare on (bench/run.sh passes the one scripts/image.sh pins, as
// KHA_BENCH_NODE24), for the benches that measure the daemon: lvscare is started through its
// own first line with that node first on PATH, as the image's entry point finds it, and the bare
// node it is compared with is the same binary. On Node 24 `care` re-executes itself under the
// daemon's V8 flags (packages/lvscare/src/lean-runtime.ts); the host's Node 20 cannot, so
// without KHA_BENCH_NODE24 the daemon runs without them, and the results say which node ran.
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';

const imageNode = process.env.KHA_BENCH_NODE24;

/** The node binary lvscare and the bare node run on. */
export const DAEMON_NODE = imageNode ?? process.execPath;

/** Its version, for the results. */
export const DAEMON_NODE_VERSION = imageNode
  ? spawnSync(imageNode, ['--version'], { encoding: 'utf8' }).stdout.trim()
  : process.version;

/** The environment lvscare is started with: DAEMON_NODE first on PATH. */
export const DAEMON_ENV: NodeJS.ProcessEnv = imageNode
  ? { ...process.env, PATH: `${dirname(imageNode)}:${process.env.PATH ?? ''}` }
  : process.env;
