/**
 * A small bounded LRU for content-addressed data (manifests and configs by digest). Content under a
 * digest never changes, so entries never go stale; the bound is on entries and on total bytes. Inject one
 * instance per process (or per integration); nothing here is global.
 */
export class LruCache<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private totalBytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly limits: { maxEntries?: number; maxBytes?: number } = {}) {}

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Map keeps insertion order: re-inserting marks the entry most recently used.
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  set(key: string, value: V, bytes = 0): void {
    const maxBytes = this.limits.maxBytes ?? 32 * 1024 * 1024;
    if (bytes > maxBytes) return; // never evict everything for one oversized entry
    const old = this.entries.get(key);
    if (old) {
      this.totalBytes -= old.bytes;
      this.entries.delete(key);
    }
    this.entries.set(key, { value, bytes });
    this.totalBytes += bytes;
    const maxEntries = this.limits.maxEntries ?? 1000;
    while (this.entries.size > maxEntries || this.totalBytes > maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      const e = this.entries.get(oldest.value);
      this.entries.delete(oldest.value);
      this.totalBytes -= e?.bytes ?? 0;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
