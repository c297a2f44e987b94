/**
 * The sandbox ("pause") image, built locally as an OCI image layout tarball from busybox-static
 * so no registry is ever contacted: one uncompressed layer holding /bin/busybox, entrypoint
 * `busybox sleep infinity`.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './proc.js';

const BUSYBOX = '/bin/busybox';
const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const CONFIG_TYPE = 'application/vnd.oci.image.config.v1+json';
const LAYER_TYPE = 'application/vnd.oci.image.layer.v1.tar';

interface Blob {
  digest: string;
  size: number;
}

function ociArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;
}

/** Stores `data` under blobs/sha256 of the layout and returns its descriptor fields. */
function putBlob(layoutDir: string, data: Buffer): Blob {
  const hex = createHash('sha256').update(data).digest('hex');
  writeFileSync(join(layoutDir, 'blobs', 'sha256', hex), data);
  return { digest: `sha256:${hex}`, size: data.length };
}

const tarFlags = ['--numeric-owner', '--owner=0', '--group=0', '--sort=name', '--mtime=@0'];

/** Writes `<workDir>/pause.tar` for image `ref` and returns its path. */
export async function buildPauseImage(workDir: string, ref: string): Promise<string> {
  const rootfs = join(workDir, 'rootfs');
  const layout = join(workDir, 'layout');
  for (const dir of ['bin', 'dev', 'proc', 'sys', 'etc', 'tmp']) mkdirSync(join(rootfs, dir), { recursive: true });
  copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'));
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });

  const layerTar = join(workDir, 'layer.tar');
  await run('tar', [...tarFlags, '-C', rootfs, '-cf', layerTar, '.']);
  const layer = putBlob(layout, readFileSync(layerTar));

  const config = putBlob(
    layout,
    Buffer.from(
      JSON.stringify({
        architecture: ociArch(),
        os: 'linux',
        config: { Entrypoint: ['/bin/busybox', 'sleep', 'infinity'], WorkingDir: '/' },
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      }),
    ),
  );
  const manifest = putBlob(
    layout,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST_TYPE,
        config: { mediaType: CONFIG_TYPE, ...config },
        layers: [{ mediaType: LAYER_TYPE, ...layer }],
      }),
    ),
  );
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: MANIFEST_TYPE,
          ...manifest,
          // Without this ctr names the image after the tar's ref and prefixes it.
          annotations: { 'io.containerd.image.name': ref },
        },
      ],
    }),
  );

  const out = join(workDir, 'pause.tar');
  await run('tar', [...tarFlags, '-C', layout, '-cf', out, '.']);
  return out;
}
