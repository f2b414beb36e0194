import { CompiledQuery, type Compilable } from 'kysely';

/**
 * Stand for the values while the template is compiled: never values a row holds (a NUL prefix). Two
 * unlike families (case, spaces), so a builder that changes a value, even in a way one family survives
 * (trimming, lowercasing), compiles differently the second time and is refused.
 */
const FAMILIES = ['\u0000imagetrail-template-value:', '\u0000 IMAGETRAIL TEMPLATE VALUE '] as const;

type Slot<K> = { key: K } | { constant: unknown };

/**
 * A statement built with a Kysely builder once, with a marker in place of each value, and afterwards only
 * bound: the same SQL with the values put where the markers were. On the report's recording path the
 * builders and the compiler cost more CPU than SQLite's own work (decision 0041). Compiling checks that
 * every value went into the statement unchanged, as one parameter, exactly once; the builder must pass
 * its values through (a choice made on a value, such as `v || null`, would be made on the marker).
 */
export class StatementTemplate<K extends string, O> {
  readonly #sql: string;
  readonly #slots: Array<Slot<K>>;
  readonly #keys: ReadonlySet<string>;

  constructor(keys: readonly K[], build: (values: Record<K, unknown>) => Compilable<O>) {
    const [first, second] = FAMILIES.map((family) => compileWith(keys, family, build));
    if (first!.sql !== second!.sql || JSON.stringify(first!.slots) !== JSON.stringify(second!.slots))
      throw new Error('statement template: the builder changed a value instead of passing it through');
    this.#sql = first!.sql;
    this.#slots = first!.slots;
    this.#keys = new Set(keys);
  }

  /** The compiled statement for these values, as the builder would have compiled it. */
  bind(values: Record<K, unknown>): CompiledQuery<O> {
    for (const k of Object.keys(values)) {
      if (!this.#keys.has(k)) throw new Error(`statement template: "${k}" is not one of its values`);
    }
    const parameters = this.#slots.map((s) => {
      if (!('key' in s)) return s.constant;
      const v = values[s.key];
      // A builder leaves out a column whose value is undefined: a different statement.
      if (v === undefined) throw new Error(`statement template: no value for "${s.key}"`);
      return v;
    });
    return CompiledQuery.raw(this.#sql, parameters);
  }
}

function compileWith<K extends string, O>(
  keys: readonly K[],
  family: string,
  build: (values: Record<K, unknown>) => Compilable<O>,
): { sql: string; slots: Array<Slot<K>> } {
  const markers = Object.fromEntries(keys.map((k) => [k, `${family}${k}`])) as Record<K, unknown>;
  const compiled = build(markers).compile();
  const seen = new Map<string, number>();
  const slots = compiled.parameters.map((p): Slot<K> => {
    if (typeof p !== 'string' || !p.startsWith(family)) return { constant: p };
    const key = p.slice(family.length);
    seen.set(key, (seen.get(key) ?? 0) + 1);
    return { key: key as K };
  });
  for (const k of keys) {
    if (seen.get(k) !== 1)
      throw new Error(`statement template: value "${k}" is bound ${seen.get(k) ?? 0} times, not once`);
  }
  if (compiled.sql.includes(family)) throw new Error('statement template: a value was inlined into the SQL');
  return { sql: compiled.sql, slots };
}
