import type { Kysely } from 'kysely';
import * as z from 'zod';
import type { Database } from './schema.js';

// The age X25519 recipient format (`age1…`); the store checks it itself rather than reach into config-repo.
const AgeRecipient = z.string().regex(/^age1[02-9ac-hj-np-z]{58}$/, 'must be an age X25519 recipient');

/** Who a pinned recipient belongs to: the control plane, or one runtime. */
export const PinOwner = z.union([
  z.literal('control-plane'),
  z.string().regex(/^runtime\/[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be runtime/<name>'),
]);

/** How a pin was set; every source is an authenticated party, never the content of Git. */
export const PinSource = z.enum(['bootstrap', 'admin', 'registration', 'trust-on-first-use']);
export type PinSource = z.infer<typeof PinSource>;

export const RecipientPin = z.object({
  owner: PinOwner,
  recipient: AgeRecipient,
  source: PinSource,
  pinnedAt: z.string(),
});
export type RecipientPin = z.infer<typeof RecipientPin>;

/** The recipient-pin port; `SqlRecipientPinStore` on SQLite and PostgreSQL. */
export interface RecipientPinStore {
  list(): Promise<RecipientPin[]>;
  /** Sets (or replaces) the owner's pin. */
  set(pin: RecipientPin): Promise<void>;
}

export class SqlRecipientPinStore implements RecipientPinStore {
  constructor(private readonly deps: { db: Kysely<Database> }) {}

  async list(): Promise<RecipientPin[]> {
    const rows = await this.deps.db.selectFrom('recipient_pins').selectAll().orderBy('owner').execute();
    return rows.map((r) =>
      RecipientPin.parse({ owner: r.owner, recipient: r.recipient, source: r.source, pinnedAt: r.pinned_at }),
    );
  }

  async set(input: RecipientPin): Promise<void> {
    const pin = RecipientPin.parse(input);
    const row = { recipient: pin.recipient, source: pin.source, pinned_at: pin.pinnedAt };
    await this.deps.db
      .insertInto('recipient_pins')
      .values({ owner: pin.owner, ...row })
      .onConflict((oc) => oc.column('owner').doUpdateSet(row))
      .execute();
  }
}

/** In-memory twin for unit tests. */
export class FakeRecipientPinStore implements RecipientPinStore {
  readonly pins = new Map<string, RecipientPin>();
  list(): Promise<RecipientPin[]> {
    return Promise.resolve([...this.pins.values()].sort((a, b) => a.owner.localeCompare(b.owner)));
  }
  // Validation errors become rejections, as from the SQL store.
  set(pin: RecipientPin): Promise<void> {
    return new Promise((resolve) => {
      this.pins.set(pin.owner, RecipientPin.parse(pin));
      resolve();
    });
  }
}
