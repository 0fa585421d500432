// A command-line flag described once: how the command line carries it (kind, short alias), what
// it means (help), its default as an operator would type it, and the zod schema that turns the
// text into a typed value or a message. The CLI, its help and the configuration all read this.
import * as z from 'zod/mini';

export type FlagKind = 'string' | 'boolean' | 'list';

/** What the command line hands over for each kind. */
export type FlagInput<K extends FlagKind> = K extends 'boolean'
  ? boolean
  : K extends 'list'
    ? string[]
    : string;

export interface FlagMeta<K extends FlagKind = FlagKind> {
  kind: K;
  describe: string;
  /** One-letter alias, as pflag's shorthand. */
  short?: string;
  /** Further long names. */
  alias?: string[];
  /** The default as typed on the command line. */
  default?: FlagInput<K>;
  /** What help calls the value when the text stands for a number; parsing keeps the text, so a
   * refusal can quote what was typed. */
  shownAs?: 'number';
}

/** Each flag schema's command-line description, found by the schema itself. */
const flagRegistry = z.registry<FlagMeta>();

/** A flag without a default: absent stays undefined. */
export function flag<K extends FlagKind, O>(
  meta: FlagMeta<K> & { default?: undefined },
  schema: z.ZodMiniType<O, FlagInput<K>>,
) {
  const s = z.optional(schema);
  flagRegistry.add(s, meta);
  return s;
}

/** A flag with a default, given as an operator would type it and read by the same schema. */
export function flagWithDefault<K extends FlagKind, O>(
  meta: FlagMeta<K> & { default: FlagInput<K> },
  schema: z.ZodMiniType<O, FlagInput<K>>,
) {
  const s = z.prefault(schema, meta.default);
  flagRegistry.add(s, meta);
  return s;
}

/** Thrown by a reader to say why a value is refused; becomes a zod issue on that flag. */
class Why extends Error {}

export const why = (message: string): never => {
  throw new Why(message);
};

function readInto<I, T>(read: (input: I) => T) {
  return z.transform((input: I, ctx) => {
    try {
      return read(input);
    } catch (err) {
      if (!(err instanceof Why)) throw err;
      ctx.issues.push({ code: 'custom', message: err.message, input });
      return z.NEVER;
    }
  });
}

/** A text flag read by `read`, which throws through `why()` when the text is bad. */
export const text = <T>(read: (text: string) => T) => z.pipe(z.string(), readInto(read));

/** A list flag, each item read by `read`; every bad item is its own issue. */
export const list = <T>(read: (item: string) => T) => z.array(z.pipe(z.string(), readInto(read)));

/** Go's strconv.ParseBool spellings, which pflag and the CARE_* variables take. */
export function goBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

export const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
export const camel = (flagName: string): string =>
  flagName.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The flags of an object schema built with flag()/flagWithDefault(), by property name. */
export function flagsOf(shape: Record<string, z.ZodMiniType>): Array<[string, FlagMeta]> {
  const out: Array<[string, FlagMeta]> = [];
  for (const [name, schema] of Object.entries(shape)) {
    const meta = flagRegistry.get(schema);
    if (meta) out.push([kebab(name), meta]);
  }
  return out;
}

/** A `when` for a check across flags: it runs once these flags parsed, whatever else did not. */
export const whenParsed =
  (flags: Iterable<string>) =>
  (payload: { issues: ReadonlyArray<{ path?: PropertyKey[] | undefined }> }): boolean => {
    const names = new Set(flags);
    return payload.issues.every((i) => !names.has(String(i.path?.[0])));
  };
