// The image bundles: kha holds the care configuration and the rules, not the daemon's libraries;
// lvscare's entry point and what it imports statically (all `lvscare ipvs list` loads) hold none
// of the parser's or the daemon's libraries, which load only when a command needs them.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { LEAN_V8_FLAGS } from '@kha/lvscare';

const imageDir = new URL('../../../../dist/image/', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, imageDir), 'utf8');
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
