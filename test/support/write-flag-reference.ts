// npm run docs:flags: rewrites docs/flags.md from the flag schemas.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { flagReference } from './flag-reference.js';

const target = fileURLToPath(new URL('../../../docs/flags.md', import.meta.url));
writeFileSync(target, flagReference());
process.stdout.write(`wrote ${target}\n`);
