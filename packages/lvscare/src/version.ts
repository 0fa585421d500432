import { readFileSync } from 'node:fs';

// Set by the image bundle (scripts/bundle.mjs), where no package.json sits beside the code.
declare const KHA_BUILD_VERSION: string | undefined;

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export const VERSION: string =
  typeof KHA_BUILD_VERSION === 'string' ? KHA_BUILD_VERSION : packageVersion();
