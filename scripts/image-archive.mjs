// `node scripts/image-archive.mjs LAYOUT NAME`: makes the OCI layout buildah pushed loadable under
// NAME (a full name, localhost/kha/lvscare:0.1.0) by every loader, before scripts/image.sh tars it:
//   podman load        reads index.json; org.opencontainers.image.ref.name is the full name
//   ctr images import  reads index.json; io.containerd.image.name is the name kubelet asks for
//   docker load        reads manifest.json (Docker's own format; layers may be compressed),
//                      written for a one-platform image only: it holds one image per name
// The layout's one entry is an image, or an index over one image per platform (two-platform
// release archive). Writes LAYOUT/unpacked-bytes: per platform, the sum of the layers
// uncompressed, the bytes a node stores.
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';

const [layout, name] = process.argv.slice(2);
if (!layout || !name) {
  console.error('usage: image-archive.mjs LAYOUT NAME');
  process.exit(2);
}
const blob = (digest) => join('blobs', ...digest.split(':'));
const readJson = (rel) => JSON.parse(readFileSync(join(layout, rel), 'utf8'));

const index = readJson('index.json');
if (index.manifests?.length !== 1)
  throw new Error(`${layout}: expected one entry in index.json, found ${index.manifests?.length}`);
const entry = index.manifests[0];
entry.annotations = {
  ...entry.annotations,
  'org.opencontainers.image.ref.name': name,
  'io.containerd.image.name': name,
};
writeFileSync(join(layout, 'index.json'), `${JSON.stringify(index)}\n`);

const isIndex = (m) =>
  m.mediaType === 'application/vnd.oci.image.index.v1+json' ||
  m.mediaType === 'application/vnd.docker.distribution.manifest.list.v2+json';
const images = isIndex(entry)
  ? readJson(blob(entry.digest)).manifests.map((m) => ({
      platform: `${m.platform.os}/${m.platform.architecture}`,
      manifest: readJson(blob(m.digest)),
    }))
  : [{ platform: 'one', manifest: readJson(blob(entry.digest)) }];

if (images.length === 1) {
  const { manifest } = images[0];
  writeFileSync(
    join(layout, 'manifest.json'),
    `${JSON.stringify([
      {
        Config: blob(manifest.config.digest),
        RepoTags: [name],
        Layers: manifest.layers.map((l) => blob(l.digest)),
      },
    ])}\n`,
  );
}

const sizes = [];
for (const { platform, manifest } of images) {
  let unpacked = 0;
  for (const layer of manifest.layers) {
    const stream = createReadStream(join(layout, blob(layer.digest)));
    const data = layer.mediaType.endsWith('+gzip') ? stream.pipe(createGunzip()) : stream;
    for await (const chunk of data) unpacked += chunk.length;
  }
  sizes.push(`${platform}=${(unpacked / 1048576).toFixed(1)}MiB`);
}
writeFileSync(join(layout, 'unpacked-bytes'), `${sizes.join(' ')}\n`);
