// `node test/arm64/record.mjs RELEASE_DIR SMOKE_LOG`: writes the "Release artifacts" section of
// bench/RESULTS.md (between its markers, or at the end): every artifact's size, the archives'
// unpacked sizes, the image's per platform, and the arm64 smoke's lines as smoke.sh printed them.
// bench/results.ts carries the section over when a bench rewrites the file.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [dir, smokeLog] = process.argv.slice(2);
if (!dir || !smokeLog) {
  console.error('usage: record.mjs RELEASE_DIR SMOKE_LOG');
  process.exit(2);
}
const results = fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url));
const sh = (cmd) => execFileSync('sh', ['-c', cmd], { encoding: 'utf8', maxBuffer: 1 << 26 });
const mib = (n) => (n / 1048576).toFixed(1);
const commit = sh('git rev-parse --short=12 HEAD').trim();
const unpacked = (file) =>
  sh(`tar -tzvf '${file}'`)
    .split('\n')
    .reduce((sum, l) => sum + (Number(l.split(/\s+/)[2]) || 0), 0);

const rows = [];
for (const f of readdirSync(dir).sort()) {
  const path = join(dir, f);
  const size = statSync(path).size;
  let note = '';
  if (f.endsWith('.tar.gz')) {
    const node = Number(sh(`tar -xzOf '${path}' --wildcards '*/lib/node' | wc -c`).trim());
    note = `unpacked ${mib(unpacked(path))} MiB, of it Node ${mib(node)} MiB`;
  } else if (f.endsWith('.oci.tar')) {
    const json = (p) => JSON.parse(sh(`tar -xOf '${path}' '${p}'`));
    const blob = (d) => `blobs/sha256/${d.slice('sha256:'.length)}`;
    const index = json(blob(json('index.json').manifests[0].digest));
    note = index.manifests
      .map((m) => {
        const layers = json(blob(m.digest)).layers;
        const packed = layers.reduce((s, l) => s + l.size, 0);
        const open = layers.reduce(
          (s, l) => s + Number(sh(`tar -xOf '${path}' '${blob(l.digest)}' | gzip -dc | wc -c`)),
          0,
        );
        return `${m.platform.os}/${m.platform.architecture}: ${mib(packed)} MiB compressed, ${mib(open)} MiB unpacked, manifest ${m.digest.slice(0, 19)}…`;
      })
      .join('; ');
  }
  rows.push(`| \`${f}\` | ${size} | ${mib(size)} | ${note} |`);
}
const smoke = readFileSync(smokeLog, 'utf8').trimEnd();
const section = [
  '<!-- release:start -->',
  '## Release artifacts and the arm64 smoke',
  '',
  `\`npm run release\` and \`npm run smoke:arm64\` (test/arm64/smoke.sh), last run ${new Date().toISOString().slice(0, 16)}Z at commit ${commit}, on this machine (2 cores, shared, qemu TCG).`,
  '',
  '| artifact | bytes | MiB | |',
  '|---|---|---|---|',
  ...rows,
  '',
  '```',
  smoke,
  '```',
  '<!-- release:end -->',
].join('\n');
const text = readFileSync(results, 'utf8');
const re = /<!-- release:start -->[\s\S]*<!-- release:end -->/;
writeFileSync(
  results,
  re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`,
);
console.log('written: the release section of bench/RESULTS.md');
