// What --dry-run shows for a file kha would write: a unified diff (as `diff -u` prints it) of the
// file as it is against the file as kha would leave it. Pure: texts in, lines out.

const CONTEXT = 3;

type Edit = { op: ' ' | '-' | '+'; line: string };

function linesOf(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else lines[lines.length - 1] += '\n\\ No newline at end of file';
  return lines;
}

/** The shortest edit script by longest common subsequence; kha's files are a few hundred lines. */
function edits(a: string[], b: string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  const common: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      common[i]![j] =
        a[i] === b[j]
          ? common[i + 1]![j + 1]! + 1
          : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
  const out: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push({ op: ' ', line: a[i++]! });
      j++;
    } else if (i < n && (j === m || common[i + 1]![j]! >= common[i]![j + 1]!))
      out.push({ op: '-', line: a[i++]! }); // removals before additions, as diff -u shows them
    else out.push({ op: '+', line: b[j++]! });
  }
  return out;
}

const range = (start: number, count: number): string =>
  count === 1 ? `${start}` : `${count === 0 ? start - 1 : start},${count}`;

/**
 * The unified diff from `before` to `after` under the name `path` (before undefined: a new
 * file; after undefined: a removed one); empty when they are the same.
 */
export function unifiedDiff(
  path: string,
  before: string | undefined,
  after: string | undefined,
): string[] {
  if (before === after) return [];
  const e = edits(linesOf(before ?? ''), linesOf(after ?? ''));
  const out = [
    `--- ${before === undefined ? '/dev/null' : path}`,
    `+++ ${after === undefined ? '/dev/null' : path}`,
  ];
  const changed = e.flatMap((x, k) => (x.op === ' ' ? [] : [k]));
  let k = 0;
  while (k < changed.length) {
    // A hunk: changes no more than 2 * CONTEXT unchanged lines apart, with CONTEXT lines around.
    let last = k;
    while (last + 1 < changed.length && changed[last + 1]! - changed[last]! <= 2 * CONTEXT + 1)
      last++;
    const from = Math.max(0, changed[k]! - CONTEXT);
    const to = Math.min(e.length, changed[last]! + CONTEXT + 1);
    const oldStart = e.slice(0, from).filter((x) => x.op !== '+').length + 1;
    const newStart = e.slice(0, from).filter((x) => x.op !== '-').length + 1;
    const hunk = e.slice(from, to);
    const oldCount = hunk.filter((x) => x.op !== '+').length;
    const newCount = hunk.filter((x) => x.op !== '-').length;
    out.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@`);
    for (const x of hunk) out.push(`${x.op}${x.line}`);
    k = last + 1;
  }
  return out;
}
