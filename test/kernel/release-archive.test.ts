// The release archive on a worker without Node: the amd64 archive npm run release writes (the
// unit of what an operator downloads, docs/operator-guide.md) unpacked into a temp directory, and
// kha run from it in a mount namespace where every `node` on PATH is covered by /dev/null, so that
// nothing but the archive's own Node can run it. join --skip-kubeadm, the rules ipvsadm shows and
// the archive's lvscare lists, then reset: nothing left.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { masterText, resetKernel, scenarioTopology, vip4 } from '../support/care-scenario.js';
import { ipvsadm } from '../support/ipvsadm.js';
import { NOTHING_LEFT, PodNode } from '../support/pod-node.js';
import { imageNodeVersion } from '../support/pod.js';
import { attempt, run } from '../support/run.js';

const topo = scenarioTopology(() => {
  attempt('ip', ['link', 'del', 'lvscare']);
  attempt('nft', ['delete', 'table', 'ip', 'kha-lvscare']);
});

/** Where test-all.sh has scripts/release.sh write the amd64 archive (KHA_RELEASE_DIR elsewhere). */
const releaseDir =
  process.env.KHA_RELEASE_DIR ??
  fileURLToPath(new URL('../../../dist/release-test', import.meta.url));

/** Runs `program args...` with no Node on PATH: each one found is covered in a new mount namespace. */
const HIDE_NODE = `IFS=:
for d in $PATH; do [ -e "$d/node" ] && mount --bind /dev/null "$d/node"; done
unset IFS
if command -v node >/dev/null; then echo "a node is still on PATH: $(command -v node)" >&2; exit 97; fi
exec "$@"`;
const withoutNode = (program: string): [string, ...string[]] => [
  'unshare',
  '--mount',
  '--propagation',
  'private',
  'sh',
  '-c',
  HIDE_NODE,
  'sh',
  program,
];

function unpack(): string {
  const archive = existsSync(releaseDir)
    ? readdirSync(releaseDir).find((f) => /^kha-.*-linux-amd64\.tar\.gz$/.test(f))
    : undefined;
  if (!archive)
    throw new Error(`no kha-*-linux-amd64.tar.gz in ${releaseDir}: run scripts/release.sh`);
  const dir = mkdtempSync(join(tmpdir(), 'kha-release-'));
  run('tar', ['-xzf', join(releaseDir, archive), '-C', dir]);
  return join(dir, archive.replace(/\.tar\.gz$/, ''));
}

test('kha from the release archive, no Node on the node: version, join --skip-kubeadm, reset', async () => {
  resetKernel();
  const unpacked = unpack();
  const kha = withoutNode(join(unpacked, 'kha'));
  const lvscare = withoutNode(join(unpacked, 'lvscare'));

  // The same namespace set-up running `node` itself: not found (127) or not executable (126).
  const hidden = attempt(kha[0], [...kha.slice(1, -1), 'node', '--version']);
  assert.ok([126, 127].includes(hidden.status), `node ran: ${hidden.status} ${hidden.stderr}`);
  const version = run(kha[0], [...kha.slice(1), 'version']);
  assert.match(
    version,
    new RegExp(
      `^kha \\d+\\.\\d+\\.\\d+ \\(commit [0-9a-f]{40}, linux/amd64, node ${imageNodeVersion()}\\)\\n$`,
    ),
    "the archive's own Node, not the host's",
  );

  const node = new PodNode(kha);
  const masters = topo.masters.map((m) => m.ip);
  node.join(masters, topo.caCert);
  const rules = ipvsadm('-Ln', '-t', vip4.text);
  for (const m of topo.masters) assert.match(rules, new RegExp(` ${masterText(m)} `));
  // The archive's lvscare reads the same virtual server through the kernel.
  const listed = run(lvscare[0], [...lvscare.slice(1), 'ipvs', 'list']);
  assert.match(listed, new RegExp(vip4.text.replace(/\./g, '\\.')));
  for (const m of topo.masters) assert.ok(listed.includes(masterText(m)), listed);

  const reset = await node.reset(() => undefined, 30);
  assert.equal(reset.status, 0, reset.out);
  assert.deepEqual(node.leftovers(vip4.address), NOTHING_LEFT);
});
