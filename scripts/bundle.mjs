// Builds dist/image: what docker/Dockerfile copies into the image, and what the kernel tier runs.
//   lvscare.mjs, kha.mjs    the entry points: our code and its JavaScript dependencies, as ESM
//   lvscare-*.mjs           the rest of lvscare, loaded only when a command needs it
//   node_modules/koffi      koffi's loader, kept apart: it finds its native binary beside itself
//   node_modules/@koromix/koffi-<platform>-<arch>   that native binary
// Usage: node scripts/bundle.mjs [--arch x64|arm64] [--out DIR]
//   --arch  the architecture whose koffi native binary goes in (default: this machine's); one
//           npm did not install is fetched from the npm registry and checked against the
//           integrity package-lock.json records for it
//   --out   where to write (default dist/image)
// The commit printed by `version` is $KHA_BUILD_COMMIT, else git's HEAD, else "unknown".
// A few files load a fraction of the modules the workspace layout does, which is most of the
// daemon's resident memory above a bare node (bench/README.md). lvscare is split where its
// entry point imports the command-line parser dynamically: `lvscare ipvs list` reads and
// compiles the entry and the netlink code it shares with the daemon, not yargs, zod, pino,
// prom-client and the daemon (a third of a second and more on an emulated CPU; bench/README.md).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: { arch: { type: 'string', default: process.arch }, out: { type: 'string' } },
});
const arch = { amd64: 'x64', x86_64: 'x64', aarch64: 'arm64' }[opts.arch] ?? opts.arch;
if (!['x64', 'arm64'].includes(arch)) throw new Error(`bundle: unsupported --arch ${opts.arch}`);
const out = opts.out ? resolve(opts.out) : join(root, 'dist', 'image');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const gitHead = () => {
  try {
    return execFileSync('git', ['-C', root, 'rev-parse', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return '';
  }
};
const commit = process.env.KHA_BUILD_COMMIT || gitHead() || 'unknown';

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const entries = {
  lvscare: join(root, 'packages/lvscare/bin/lvscare.js'),
  kha: join(root, 'packages/installer/bin/kha.js'),
};
// Node's own modules are required, never imported. Importing one as an ES module builds its
// namespace from every export, which runs the lazy getters as well: node:http's WebSocket,
// CloseEvent and MessageEvent load Node's bundled undici on Node 22 and later, a client the
// daemon never uses (resident memory and start-up: bench/README.md, footprint). Each import of a
// built-in resolves to a CommonJS stand-in that requires it; that require stays outside.
const builtin = new RegExp(`^(node:)?(${builtinModules.join('|')})$`);
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(build) {
    build.onResolve({ filter: builtin }, ({ path, namespace }) =>
      namespace === 'builtin' ? { path, external: true } : { path, namespace: 'builtin' },
    );
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, ({ path }) => ({
      contents: `module.exports = require(${JSON.stringify(path)});`,
      loader: 'js',
    }));
  },
};
// prom-client's index stands in for four of its files (scripts/prom-client-lean.mjs), by exact
// name: an alias would also remap the stand-in's own `prom-client/lib/...` requires.
const promClientLean = {
  name: 'prom-client-lean',
  setup(build) {
    build.onResolve({ filter: /^prom-client$/ }, () => ({
      path: join(root, 'scripts/prom-client-lean.mjs'),
    }));
  },
};
const common = {
  plugins: [builtinsByRequire, promClientLean],
  outdir: out,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['koffi'],
  // prom-client loads the OpenTelemetry API only for exemplars on its default metrics, which
  // lvscare never registers (metrics/process-metrics.ts has its own).
  alias: {
    '@opentelemetry/api': join(root, 'scripts/no-opentelemetry.cjs'),
    'string-width': join(root, 'scripts/string-width-narrow.mjs'),
  },
  // Smaller source held in memory; identifiers are kept so stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  define: { KHA_BUILD_VERSION: JSON.stringify(version), KHA_BUILD_COMMIT: JSON.stringify(commit) },
  // CommonJS dependencies (pino, prom-client) call require(); an ES module has none of its own.
  banner: {
    js: "import { createRequire as khaCreateRequire } from 'node:module'; const require = khaCreateRequire(import.meta.url);",
  },
  legalComments: 'linked',
  logLevel: 'warning',
};
// Each entry on its own, so that the chunks of one never hold code of the other.
await build({
  ...common,
  entryPoints: { lvscare: entries.lvscare },
  splitting: true,
  chunkNames: 'lvscare-[name]-[hash]',
});
await build({ ...common, entryPoints: { kha: entries.kha } });
for (const name of Object.keys(entries)) chmodSync(join(out, `${name}.mjs`), 0o755);

// koffi: its JavaScript, not its C++ sources, vendored headers or docs.
const require = createRequire(join(root, 'packages/netlink-ffi/package.json'));
const koffiDir = dirname(require.resolve('koffi')); // its main, index.cjs, sits at its root
const keep = (src) => {
  const rel = relative(koffiDir, src);
  return (
    !/^(vendor|doc)(\/|$)|^cnoke\.cjs$|\.(cc|hh|h|inc|txt)$|CMakeLists/.test(rel) ||
    rel === 'LICENSE.txt'
  );
};
cpSync(koffiDir, join(out, 'node_modules/koffi'), { recursive: true, filter: keep });
const nativeName = `@koromix/koffi-linux-${arch}`;
cpSync(koffiNative(nativeName), join(out, 'node_modules', nativeName), { recursive: true });

/** The directory of koffi's native package for the target: npm's, else fetched and checked. */
function koffiNative(name) {
  try {
    return dirname(createRequire(join(koffiDir, 'package.json')).resolve(`${name}/package.json`));
  } catch {
    // not installed: npm installs only this machine's architecture
  }
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const entry = lock.packages?.[`node_modules/${name}`];
  if (!entry?.integrity) throw new Error(`bundle: package-lock.json records no ${name}`);
  const dir = join(root, '.cache', 'npm-packages', `${name.replace('/', '+')}-${entry.version}`);
  if (existsSync(join(dir, 'package', 'package.json'))) return join(dir, 'package');
  const tmp = mkdtempSync(join(tmpdir(), 'kha-bundle-'));
  try {
    execFileSync('npm', ['pack', '--silent', `${name}@${entry.version}`], {
      cwd: tmp,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const tgz = join(
      tmp,
      readdirSync(tmp).find((f) => f.endsWith('.tgz')),
    );
    const [algo, expected] = entry.integrity.split(/-(.*)/s);
    const actual = createHash(algo).update(readFileSync(tgz)).digest('base64');
    if (actual !== expected)
      throw new Error(
        `bundle: ${name}@${entry.version} does not match package-lock.json's integrity`,
      );
    mkdirSync(dir, { recursive: true });
    execFileSync('tar', ['-xzf', tgz, '-C', dir]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return join(dir, 'package');
}

writeFileSync(
  join(out, 'package.json'),
  `${JSON.stringify({ name: 'kha-image', version, private: true, type: 'module' }, null, 2)}\n`,
);
console.log(
  `bundled ${Object.keys(entries).join(', ')} ${version} (${commit.slice(0, 12)}, linux/${arch === 'x64' ? 'amd64' : arch}) into ${relative(root, out)}`,
);
