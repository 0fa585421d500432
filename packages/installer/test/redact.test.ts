import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { REDACTED, SECRET_FLAGS, redactArgs, redactText } from '../src/redact.js';

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
