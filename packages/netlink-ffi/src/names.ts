/** Number -> name for a table of kernel constants ({ tcp: 6 } -> 6 => "tcp"). */
export function namesByNumber<K extends string>(table: Record<K, number>): Map<number, K> {
  return new Map(Object.entries(table).map(([name, n]) => [n as number, name as K]));
}
