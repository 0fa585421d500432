// The hosts-file entry that points apiserver.cluster.local at the VIP. Pure: text in, text out;
// every line that is not ours stays byte for byte.

export const APISERVER_NAME = 'apiserver.cluster.local';
const MARK = '# kha';

/** The line kha writes. */
export function entryLine(vip: string, name = APISERVER_NAME): string {
  return `${vip} ${name} ${MARK}`;
}

interface Line {
  text: string; // without its line ending
  eol: string; // "\n", "\r\n" or "" for a last line without one
}

function splitLines(content: string): Line[] {
  const out: Line[] = [];
  const re = /([^\r\n]*)(\r\n|\n|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(content)) !== null) {
    if (m[0] === '' && re.lastIndex >= content.length) break;
    out.push({ text: m[1]!, eol: m[2]! });
    if (m[2] === '') break;
  }
  return out;
}

const join = (lines: Line[]): string => lines.map((l) => l.text + l.eol).join('');

/** The host names a line gives, comments left out. */
function namesOf(text: string): string[] {
  const fields = text.replace(/#.*$/, '').trim().split(/\s+/).filter(Boolean);
  return fields.slice(1);
}

function withoutName(text: string, name: string): string {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text.replace(new RegExp(`[ \\t]+${escaped}(?=[ \\t#]|$)`, 'g'), '');
}

/**
 * Points `name` at `vip`: the first line naming it alone becomes our entry, other mentions of the
 * name are taken out of their lines (their other names stay), and when no line names it alone our
 * entry is appended. Idempotent: applied to its own output it changes nothing.
 */
export function withApiserverEntry(content: string, vip: string, name = APISERVER_NAME): string {
  const ours = entryLine(vip, name);
  const lines = splitLines(content);
  let placed = false;
  const out: Line[] = [];
  for (const line of lines) {
    const names = namesOf(line.text);
    if (!names.includes(name)) {
      out.push(line);
      continue;
    }
    if (names.length === 1 && !placed) {
      out.push({ text: ours, eol: line.eol });
      placed = true;
    } else if (names.length === 1) {
      continue; // a second entry for the name would shadow or be shadowed: drop it
    } else {
      out.push({ text: withoutName(line.text, name), eol: line.eol });
    }
  }
  if (!placed) {
    const last = out[out.length - 1];
    if (last && last.eol === '') last.eol = '\n';
    out.push({ text: ours, eol: '\n' });
  }
  return join(out);
}

/**
 * Undoes withApiserverEntry. When the file is still exactly what join made of `original`, the
 * original comes back byte for byte; otherwise (someone edited it since) only our entry line goes
 * and every other change is kept.
 */
export function withoutApiserverEntry(
  current: string,
  original: string | undefined,
  vip: string,
  name = APISERVER_NAME,
): { content: string; exact: boolean } {
  if (original !== undefined && withApiserverEntry(original, vip, name) === current) {
    return { content: original, exact: true };
  }
  const ours = entryLine(vip, name);
  return { content: join(splitLines(current).filter((l) => l.text !== ours)), exact: false };
}
