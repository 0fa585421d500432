import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { REDACTED, SECRET_FLAGS, redactArgs, redactText, redactingLines } from '../src/redact.js';

test('secret values are replaced in both flag forms; the CA hash and the rest stay', () => {
  assert.deepEqual(
    redactArgs([
      'join',
      'apiserver.cluster.local:6443',
      '--token',
      'abcdef.0123456789abcdef',
      '--discovery-token-ca-cert-hash',
      'sha256:00',
      '--certificate-key=deadbeef',
      '--discovery-token',
      'x.y',
      '--tls-bootstrap-token=t.u',
    ]),
    [
      'join',
      'apiserver.cluster.local:6443',
      '--token',
      REDACTED,
      '--discovery-token-ca-cert-hash',
      'sha256:00',
      `--certificate-key=${REDACTED}`,
      '--discovery-token',
      REDACTED,
      `--tls-bootstrap-token=${REDACTED}`,
    ],
  );
});

test('no secret value survives redaction, whatever surrounds it', () => {
  const secret = fc.stringMatching(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom('--node-name', 'w1', '--v=5', 'x'), { maxLength: 4 }),
      fc.constantFrom(...SECRET_FLAGS),
      secret,
      fc.boolean(),
      (around, flag, value, joined) => {
        const args = [...around, ...(joined ? [`${flag}=${value}`] : [flag, value]), ...around];
        assert.ok(!redactArgs(args).join(' ').includes(value));
        assert.ok(!redactText(`kubeadm ${args.join(' ')} failed`, args).includes(value));
      },
    ),
  );
});

test("kubeadm's output loses the secrets however it is cut into chunks, and nothing else", async () => {
  const token = 'abcdef.0123456789abcdef';
  const args = ['join', 'apiserver.cluster.local:6443', '--token', token];
  const output = `I1128 preflight\nbootstrapToken:\n  token: ${token}\n  unsafeSkipCAVerification: false\n[join] ${token} and ${token}\nno newline at the end ${token}`;
  const bytes = Buffer.from(output);
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }),
      async (cuts) => {
        const edges = [0, ...cuts.sort((a, b) => a - b), bytes.length];
        const chunks = edges.slice(1).map((end, i) => bytes.subarray(edges[i], end));
        const shown = await text(Readable.from(chunks).pipe(redactingLines(args)));
        assert.equal(shown, redactText(output, args));
        assert.ok(!shown.includes(token));
      },
    ),
    { numRuns: 300 },
  );
});
