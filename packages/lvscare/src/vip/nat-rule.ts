// The link mode's source NAT, through the nft command (the one rule is not worth an nf_tables
// netlink codec). Our own table, so nothing of anyone else's is touched.
import { promisify } from 'node:util';
import type { Endpoint } from '../config/endpoint.js';

const NAT_TABLE = 'kha-lvscare';

function family(vip: Endpoint): 'ip' | 'ip6' {
  return vip.family === 'inet' ? 'ip' : 'ip6';
}

/** The ruleset text: traffic from the VIP to the masters leaves with the node's own address. */
function natRuleset(vip: Endpoint, masters: Endpoint[]): string {
  const f = family(vip);
  const addrs = [...new Set(masters.map((m) => m.address))].join(', ');
  return [
    `table ${f} ${NAT_TABLE} {`,
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ${f} saddr ${vip.address} ${f} daddr { ${addrs} } masquerade`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Runs nft with `input` on its stdin; an nft that fails rejects with its exit and its stderr. */
export async function nft(args: string[], input?: string): Promise<string> {
  // Loaded here, not with the daemon: only the link mode runs nft, and child_process (with the
  // dgram module it pulls in) is resident memory every other daemon would carry for nothing.
  // The default export is the module itself both in Node and in the image bundle, where a
  // built-in imported on demand has no named exports (scripts/bundle.mjs).
  const { execFile } = (await import('node:child_process')).default;
  const child = promisify(execFile)('nft', args, { timeout: 10_000 });
  if (input !== undefined) {
    // An nft that exits before it has read everything (it failed at once) closes the pipe: the
    // write then fails with EPIPE, an error event that would end the daemon. Its exit status
    // and stderr are the failure, and the promise above carries them.
    child.child.stdin?.on('error', () => {});
    child.child.stdin?.end(input);
  }
  return (await child).stdout;
}

/** True when our table holds exactly the masquerade rule we want. */
export async function natRulePresent(vip: Endpoint, masters: Endpoint[]): Promise<boolean> {
  try {
    const listed = await nft(['list', 'table', family(vip), NAT_TABLE]);
    const want = natRuleset(vip, masters);
    const norm = (s: string) =>
      s
        .replace(/\s+/g, ' ')
        .replace(
          /\{ ([^}]*) \}/g,
          (_m, inner: string) => `{ ${inner.split(', ').sort().join(', ')} }`,
        )
        .trim();
    return norm(listed).includes(norm(want.split('\n')[3]!));
  } catch {
    return false;
  }
}

/** Replaces our table atomically (nft -f runs as one transaction). */
export async function installNatRule(vip: Endpoint, masters: Endpoint[]): Promise<void> {
  const f = family(vip);
  await nft(
    ['-f', '-'],
    `table ${f} ${NAT_TABLE}\ndelete table ${f} ${NAT_TABLE}\n${natRuleset(vip, masters)}`,
  );
}

export async function removeNatRule(vip: Endpoint): Promise<void> {
  try {
    await nft(['delete', 'table', family(vip), NAT_TABLE]);
  } catch {
    // not there: nothing to remove
  }
}
