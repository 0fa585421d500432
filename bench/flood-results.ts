// Puts the liveness-flood section into bench/RESULTS.md from bench/out/liveness-flood*.json, in
// place of the one there (or at the end): for `KHA_BENCH_ONLY=liveness-flood npm run bench`,
// which leaves the other benches' figures as the last full run wrote them.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FLOOD_END, FLOOD_START, type FloodOut, floodSection } from './flood-report.js';

const benchDir = fileURLToPath(new URL('../../bench/', import.meta.url));
const read = (name: string): FloodOut | undefined =>
  existsSync(`${benchDir}out/${name}`)
    ? (JSON.parse(readFileSync(`${benchDir}out/${name}`, 'utf8')) as FloodOut)
    : undefined;
const results = readFileSync(`${benchDir}RESULTS.md`, 'utf8');
const section = floodSection(read('liveness-flood-host.json'), read('liveness-flood.json')).join(
  '\n',
);
const start = results.indexOf(FLOOD_START);
const end = results.indexOf(FLOOD_END);
const next =
  start >= 0 && end > start
    ? `${results.slice(0, start)}${section}${results.slice(end + FLOOD_END.length)}`
    : `${results.trimEnd()}\n\n${section}\n`;
writeFileSync(`${benchDir}RESULTS.md`, next);
console.log('written: the liveness-flood section of bench/RESULTS.md');
