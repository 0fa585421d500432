// kha's image bundle holds the care configuration and the rules, not the daemon's libraries.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const bundle = (name: string) =>
  readFileSync(new URL(`../../../../dist/image/${name}.mjs`, import.meta.url), 'utf8');

test('dist/image/kha.mjs contains neither pino nor prom-client; lvscare.mjs has both', () => {
  const kha = bundle('kha');
  for (const marker of ['pino', 'prom-client', 'prom_client', 'Prometheus', 'fast-redact'])
    assert.equal(kha.includes(marker), false, `kha.mjs contains ${marker}`);
  const lvscare = bundle('lvscare');
  assert.ok(lvscare.includes('pino') && lvscare.includes('prom-client'), 'the markers are real');
});
