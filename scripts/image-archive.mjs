// `node scripts/image-archive.mjs LAYOUT TAG`: makes the OCI layout buildah pushed (one image)
// loadable under TAG by every loader, before scripts/image.sh tars it:
//   podman load        reads index.json; org.opencontainers.image.ref.name is the full name
//   ctr images import  reads index.json; io.containerd.image.name is the name kubelet asks for
//                      (docker.io/kha/lvscare:0.1.0 for the manifest's kha/lvscare:0.1.0)
//   docker load        reads manifest.json (Docker's own format; layers may be compressed)
// Writes LAYOUT/unpacked-bytes: the sum of the layers uncompressed, the bytes a node stores.
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';

const [layout, tag] = process.argv.slice(2);
if (!layout || !tag) {
  console.error('usage: image-archive.mjs LAYOUT TAG');
  process.exit(2);
}
const fullName = `docker.io/${tag}`;
const blob = (digest) => join('blobs', ...digest.split(':'));
const readJson = (rel) => JSON.parse(readFileSync(join(layout, rel), 'utf8'));

const index = readJson('index.json');
if (index.manifests?.length !== 1)
  throw new Error(`${layout}: expected one image in index.json, found ${index.manifests?.length}`);
const entry = index.manifests[0];
entry.annotations = {
  ...entry.annotations,
  'org.opencontainers.image.ref.name': fullName,
  'io.containerd.image.name': fullName,
};
writeFileSync(join(layout, 'index.json'), `${JSON.stringify(index)}\n`);

const manifest = readJson(blob(entry.digest));
writeFileSync(
  join(layout, 'manifest.json'),
  `${JSON.stringify([
    {
      Config: blob(manifest.config.digest),
      RepoTags: [tag],
      Layers: manifest.layers.map((l) => blob(l.digest)),
    },
  ])}\n`,
);

let unpacked = 0;
for (const layer of manifest.layers) {
  const stream = createReadStream(join(layout, blob(layer.digest)));
  const data = layer.mediaType.endsWith('+gzip') ? stream.pipe(createGunzip()) : stream;
  for await (const chunk of data) unpacked += chunk.length;
}
writeFileSync(join(layout, 'unpacked-bytes'), `${unpacked}\n`);
