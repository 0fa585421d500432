// The hosts-file entry that points apiserver.cluster.local at the VIP. Pure: bytes in, bytes out.
// The file is handled as bytes, not text: split on "\n" only, so a lone "\r" or a byte that is
// not UTF-8 stays exactly where it was; every line that is not ours stays byte for byte.

export const APISERVER_NAME = 'apiserver.cluster.local';
const MARK = '# kha';

/** The line kha writes. */
export function entryLine(vip: string, name = APISERVER_NAME): string {
  return `${vip} ${name} ${MARK}`;
}

// Lines are held as "binary" strings, one char per byte (latin1), which round-trips any bytes.
interface Line {
  text: string; // without a final "\r" and the "\n"
  cr: boolean; // the line ended "\r\n" (or "\r" at the end of the file)
  nl: boolean; // false only for a last line without "\n"
}

function splitLines(bytes: Buffer): Line[] {
  const content = bytes.toString('latin1');
  if (content === '') return [];
  const parts = content.split('\n');
  const out: Line[] = parts.map((part, i) => {
    const cr = part.endsWith('\r');
    return { text: cr ? part.slice(0, -1) : part, cr, nl: i < parts.length - 1 };
  });
  // "a\n" splits into "a" and "": the empty tail is not a line.
  if (parts[parts.length - 1] === '') out.pop();
  return out;
}

const joinLines = (lines: Line[]): Buffer =>
  Buffer.from(
    lines.map((l) => l.text + (l.cr ? '\r' : '') + (l.nl ? '\n' : '')).join(''),
    'latin1',
  );

/** Host names are ASCII and case-insensitive; bytes above 0x7f compare as themselves. */
const fold = (name: string): string => name.replace(/[A-Z]/g, (c) => c.toLowerCase());

const FIELD_SEPARATOR = /[ \t\r\v\f]+/;

/** The host names a line gives, comments left out. */
function namesOf(text: string): string[] {
  const hash = text.indexOf('#');
  const fields = (hash >= 0 ? text.slice(0, hash) : text).split(FIELD_SEPARATOR).filter(Boolean);
  return fields.slice(1);
}

function withoutName(text: string, name: string): string {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text.replace(new RegExp(`[ \\t\\r\\v\\f]+${escaped}(?=[ \\t\\r\\v\\f#]|$)`, 'gi'), '');
}

const names = (text: string, name: string): { ours: boolean; alone: boolean } => {
  const all = namesOf(text);
  const ours = all.some((n) => fold(n) === fold(name));
  return { ours, alone: ours && all.length === 1 };
};

/**
 * Points `name` at `vip`: the first line naming it alone becomes our entry, other mentions of the
 * name (in any letter case) are taken out of their lines (their other names stay), and when no
 * line names it alone our entry is appended. Idempotent: applied to its own output it changes
 * nothing.
 */
export function withApiserverEntry(content: Buffer, vip: string, name = APISERVER_NAME): Buffer {
  const ours = entryLine(vip, name);
  let placed = false;
  const out: Line[] = [];
  for (const line of splitLines(content)) {
    const { ours: mentions, alone } = names(line.text, name);
    if (!mentions) {
      out.push(line);
    } else if (alone && !placed) {
      out.push({ ...line, text: ours, nl: true });
      placed = true;
    } else if (!alone) {
      out.push({ ...line, text: withoutName(line.text, name) });
    } // a second entry for the name alone would shadow or be shadowed: dropped
  }
  if (!placed) {
    const last = out[out.length - 1];
    if (last) last.nl = true;
    out.push({ text: ours, cr: false, nl: true });
  }
  return joinLines(out);
}

/**
 * Undoes withApiserverEntry. When the file is still exactly what join made of `original`, the
 * original comes back byte for byte; otherwise (someone edited it since) only our entry line goes
 * and every other byte is kept.
 */
export function withoutApiserverEntry(
  current: Buffer,
  original: Buffer | undefined,
  vip: string,
  name = APISERVER_NAME,
): { content: Buffer; exact: boolean } {
  if (original !== undefined && withApiserverEntry(original, vip, name).equals(current)) {
    return { content: original, exact: true };
  }
  const ours = entryLine(vip, name);
  return { content: joinLines(splitLines(current).filter((l) => l.text !== ours)), exact: false };
}
