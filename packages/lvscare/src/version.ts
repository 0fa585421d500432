import { readFileSync } from 'node:fs';

// Set by the bundle (scripts/bundle.mjs), where no package.json sits beside the code: the
// version, and the commit the bundle was built from ('unknown' when it could not tell).
declare const KHA_BUILD_VERSION: string | undefined;
declare const KHA_BUILD_COMMIT: string | undefined;

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export const VERSION: string =
  typeof KHA_BUILD_VERSION === 'string' ? KHA_BUILD_VERSION : packageVersion();

/** The commit of the build; the unbundled workspace does not know its own. */
export const COMMIT: string = typeof KHA_BUILD_COMMIT === 'string' ? KHA_BUILD_COMMIT : 'unknown';

/** The platform in the names images and release archives use (Go's): linux/amd64, linux/arm64. */
export function platformName(platform: string = process.platform, arch: string = process.arch) {
  const goArch: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' };
  return `${platform}/${goArch[arch] ?? arch}`;
}
