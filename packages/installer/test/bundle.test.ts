// The image bundles: kha holds the care configuration and the rules, not the daemon's libraries;
// lvscare's entry point and what it imports statically (all `lvscare ipvs list` loads) hold none
// of the parser's or the daemon's libraries, which load only when a command needs them.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { test } from 'node:test';
import { LEAN_V8_FLAGS } from '@kha/lvscare';

const imageDir = new URL('../../../../dist/image/', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, imageDir), 'utf8');
/** The one ES import of a Node module the bundles keep: the banner that gives them require. */
const BANNER = "import { createRequire as khaCreateRequire } from 'node:module';";
const daemonMarkers = ['pino', 'prom-client', 'prom_client', 'Prometheus', 'fast-redact'];

/** A file and the files it imports statically (`from"./x.mjs"`), transitively. */
function staticClosure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of read(file).matchAll(/\bfrom\s*"\.\/([^"]+\.mjs)"/g)) visit(m[1]!);
  };
  visit(entry);
  return [...seen];
}

test('dist/image/kha.mjs contains neither pino nor prom-client; lvscare has both', () => {
  const kha = read('kha.mjs');
  for (const marker of daemonMarkers)
    assert.equal(kha.includes(marker), false, `kha.mjs contains ${marker}`);
  const lvscare = readdirSync(imageDir)
    .filter((f) => /^lvscare.*\.mjs$/.test(f))
    .map(read)
    .join('\n');
  assert.ok(lvscare.includes('pino') && lvscare.includes('prom-client'), 'the markers are real');
});

test('lvscare.mjs loads neither the parser nor the daemon before a command needs them', () => {
  const files = staticClosure('lvscare.mjs');
  const all = readdirSync(imageDir).filter((f) => /^lvscare.*\.mjs$/.test(f));
  assert.ok(
    files.length < all.length,
    `lvscare.mjs imports every file statically: ${files.join(', ')}`,
  );
  const quick = files.map(read).join('\n');
  for (const marker of [...daemonMarkers, 'yargs', '_zod'])
    assert.equal(quick.includes(marker), false, `${files.join(', ')} contain ${marker}`);
  assert.ok(quick.includes('IpvsClient'), 'the netlink client is there');
  const rest = all.map(read).join('\n');
  assert.ok(rest.includes('yargs') && rest.includes('_zod'), 'the markers are real');
});

test("koffi's native binary sits in dist/image where lvscare loads it without koffi's entry", () => {
  const { platform, arch } = process;
  const native = `node_modules/@koromix/koffi-${platform}-${arch}/${platform}_${arch}/koffi.node`;
  assert.ok(statSync(new URL(native, imageDir)).size > 0, `${native} is missing`);
});

test("the image's entry point starts lvscare under exactly the daemon's V8 flags", () => {
  const dockerfile = readFileSync(
    new URL('../../../../docker/Dockerfile', import.meta.url),
    'utf8',
  );
  const line = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile);
  assert.ok(line, 'an exec-form ENTRYPOINT');
  const argv = JSON.parse(line[1]!) as string[];
  assert.deepEqual(argv, ['node', ...LEAN_V8_FLAGS, '/opt/kha/lvscare.mjs']);
});

test('the image bundles require the Node modules they use instead of importing them', () => {
  // An ES import of node:http runs its lazy getters and loads undici (bench/README.md, footprint).
  const files = readdirSync(imageDir).filter((f) => f.endsWith('.mjs'));
  const imports = /(?:\bfrom\s*|\bimport\s*\(?\s*)["'](node:[^"']+|[a-z_]+(?:\/[a-z_]+)?)["']/g;
  for (const file of files) {
    const text = read(file);
    const builtins = [...text.matchAll(imports)]
      .map((m) => m[1]!)
      .filter((name) => isBuiltin(name) && !(name === 'node:module' && text.includes(BANNER)));
    assert.deepEqual(builtins, [], `${file} imports ${builtins.join(', ')}`);
  }
  const lvscare = files
    .filter((f) => f.startsWith('lvscare'))
    .map(read)
    .join('\n');
  assert.ok(/__require\("(node:)?http"\)/.test(lvscare), 'lvscare requires node:http');
});

test("lvscare's bundle holds the prom-client files it uses, not the index and its extras", () => {
  const lvscare = readdirSync(imageDir)
    .filter((f) => /^lvscare.*\.mjs$/.test(f))
    .map(read)
    .join('\n');
  const bundled = new Set(
    [...lvscare.matchAll(/"node_modules\/prom-client\/([^"]+)"/g)].map((m) => m[1]!),
  );
  assert.ok(
    bundled.has('lib/histogram.js') && bundled.has('lib/registry.js'),
    'prom-client is there',
  );
  for (const extra of ['index.js', 'lib/pushgateway.js', 'lib/defaultMetrics.js', 'lib/cluster.js'])
    assert.equal(bundled.has(extra), false, `the bundle holds prom-client/${extra}`);
});

test("a Node module lvscare imports on demand is that chunk's default export", async () => {
  const chunks = readdirSync(imageDir).filter((f) => /^lvscare-node_.*\.mjs$/.test(f));
  assert.ok(chunks.length > 0, 'child_process, for the link mode, is imported on demand');
  for (const chunk of chunks) {
    const name = /^lvscare-(node_[a-z_]+)-/.exec(chunk)![1]!.replace('_', ':');
    const loaded = (await import(new URL(chunk, imageDir).href)) as { default: unknown };
    assert.equal(loaded.default, createRequire(import.meta.url)(name), chunk);
  }
});

test('the image build copies every file of scripts/ the bundle reads', () => {
  const bundler = readFileSync(new URL('../../../../scripts/bundle.mjs', import.meta.url), 'utf8');
  const dockerfile = readFileSync(
    new URL('../../../../docker/Dockerfile', import.meta.url),
    'utf8',
  );
  const copied = /^COPY (scripts\/.*) scripts\/$/m.exec(dockerfile)?.[1]?.split(' ') ?? [];
  const named = [...bundler.matchAll(/'(scripts\/[^']+)'/g)].map((m) => m[1]!);
  assert.ok(named.length >= 3, `the stand-ins bundle.mjs names: ${named.join(', ')}`);
  for (const file of ['scripts/bundle.mjs', ...named])
    assert.ok(copied.includes(file), `docker/Dockerfile does not copy ${file}`);
});
