import type { RecipientPinStore, PinSource } from '../store/recipient-pin-store.js';

export interface PinAudit {
  record(event: {
    actorTokenId?: string | null;
    action: string;
    target: string;
    detail?: Record<string, unknown>;
  }): Promise<unknown>;
}

/**
 * The recipients secrets are sealed for, pinned in the store (never taken from Git): loaded once, kept in
 * memory for the synchronous sealing and validation paths, and changed only through the methods below,
 * each of which is an authenticated action written to the audit trail.
 */
export class RecipientPins {
  readonly #pins = new Map<string, string>();

  private constructor(
    private readonly store: RecipientPinStore,
    private readonly audit: PinAudit | undefined,
    /** Told after a pin changed, so that other replicas reload theirs. */
    private readonly onChange: (() => void) | undefined,
  ) {}

  static async load(
    store: RecipientPinStore,
    audit?: PinAudit,
    onChange?: () => void,
  ): Promise<RecipientPins> {
    const p = new RecipientPins(store, audit, onChange);
    for (const pin of await store.list()) p.#pins.set(pin.owner, pin.recipient);
    return p;
  }

  /** Re-reads the pins another replica may have changed (on its notification, or at bootstrap). */
  async reload(): Promise<void> {
    const fresh = await this.store.list();
    this.#pins.clear();
    for (const pin of fresh) this.#pins.set(pin.owner, pin.recipient);
  }

  controlPlane(): string | undefined {
    return this.#pins.get('control-plane');
  }

  runtime(name: string): string | undefined {
    return this.#pins.get(`runtime/${name}`);
  }

  /**
   * Whether this deployment has been through its first start with pinned recipients: from then on, sealed
   * values must be bound and Git's recipients are only compared, never trusted.
   */
  get established(): boolean {
    return this.#pins.has('control-plane');
  }

  /** The control plane's own key (it holds the identity, so this is authenticated by construction). */
  pinControlPlane(recipient: string, source: PinSource, actorTokenId?: string | null): Promise<void> {
    return this.pin('control-plane', recipient, source, actorTokenId);
  }

  /**
   * A runtime's recipient, from an authenticated call: an admin's `runtime add --recipient`, the control
   * plane's own key for in-process runtimes, or (later) a runtime agent registering with its token.
   */
  pinRuntime(
    name: string,
    recipient: string,
    source: PinSource,
    actorTokenId?: string | null,
  ): Promise<void> {
    return this.pin(`runtime/${name}`, recipient, source, actorTokenId);
  }

  private async pin(
    owner: string,
    recipient: string,
    source: PinSource,
    actorTokenId?: string | null,
  ): Promise<void> {
    const previous = this.#pins.get(owner);
    if (previous === recipient) return;
    await this.store.set({ owner, recipient, source, pinnedAt: new Date().toISOString() });
    this.#pins.set(owner, recipient);
    this.onChange?.();
    await this.audit?.record({
      actorTokenId: actorTokenId ?? null,
      action: 'recipient.pin',
      target: owner,
      detail: { recipient, source, ...(previous ? { previous } : {}) },
    });
  }
}
