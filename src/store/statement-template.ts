import { CompiledQuery, type Compilable } from 'kysely';

/** Stands for one value while the template is compiled; never a value a row can hold (a NUL prefix). */
const MARK = '\u0000imagetrail-template-value:';

type Slot<K> = { key: K } | { constant: unknown };

/**
 * A statement built with a Kysely builder once, with a marker in place of each value, and afterwards only
 * bound: the same SQL with the values put where the markers were. On the report's recording path the
 * builders and the compiler cost more CPU than SQLite's own work (decision 0041). Compiling checks that
 * every value went into the statement as a parameter, exactly once, so binding cannot put one in the
 * wrong place; a builder that transformed a value (instead of passing it through) fails there, at once.
 */
export class StatementTemplate<K extends string, O> {
  readonly #sql: string;
  readonly #slots: Array<Slot<K>>;

  constructor(keys: readonly K[], build: (values: Record<K, unknown>) => Compilable<O>) {
    const markers = Object.fromEntries(keys.map((k) => [k, `${MARK}${k}`])) as Record<K, unknown>;
    const compiled = build(markers).compile();
    const seen = new Map<string, number>();
    this.#slots = compiled.parameters.map((p): Slot<K> => {
      if (typeof p !== 'string' || !p.startsWith(MARK)) return { constant: p };
      const key = p.slice(MARK.length);
      seen.set(key, (seen.get(key) ?? 0) + 1);
      return { key: key as K };
    });
    for (const k of keys) {
      if (seen.get(k) !== 1)
        throw new Error(`statement template: value "${k}" is bound ${seen.get(k) ?? 0} times, not once`);
    }
    if (compiled.sql.includes(MARK)) throw new Error('statement template: a value was inlined into the SQL');
    this.#sql = compiled.sql;
  }

  /** The compiled statement for these values, as the builder would have compiled it. */
  bind(values: Record<K, unknown>): CompiledQuery<O> {
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
