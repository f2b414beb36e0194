import { PayloadTooLargeError, UnavailableError } from '../../../domain/errors.js';

/** Bytes of tag-list JSON read for one `listTags`, all pages together. */
export const DEFAULT_MAX_TAG_LIST_BYTES = 16 * 1024 * 1024;

/**
 * The budget and the page chain of one tag listing. A registry is a peer we do not trust with memory or
 * with our credentials: the listing is capped in bytes across pages (each page is read with what is left
 * of the budget, so a huge page fails without being buffered), and a `Link: rel="next"` to another origin
 * is not followed, since the next request would carry the registry's credentials there.
 */
export class TagPages {
  private used = 0;
  readonly tags: string[] = [];

  constructor(
    private readonly what: string,
    private readonly origin: string,
    private readonly maxBytes: number,
  ) {}

  /** The byte limit for the next page's body. */
  limit(pageLimit: number): number {
    return Math.max(0, Math.min(pageLimit, this.maxBytes - this.used));
  }

  add(bodyBytes: number, tags: readonly string[]): void {
    this.used += bodyBytes;
    if (this.used > this.maxBytes) {
      throw new PayloadTooLargeError(`${this.what}: the tag list is larger than ${this.maxBytes} bytes`);
    }
    // A loop, not push(...tags): spreading half a million arguments overflows the stack (RangeError).
    for (const t of tags) this.tags.push(t);
  }

  /** The next page's URL, if any, from an absolute `Link` target (see `nextLink`). */
  next(link: string | undefined): string | undefined {
    if (link === undefined) return undefined;
    const origin = new URL(link).origin;
    if (origin !== this.origin) {
      throw new UnavailableError(
        `${this.what}: the registry's next-page link points to another origin (${origin}); not followed, so the registry's credentials are not sent there`,
      );
    }
    if (this.used >= this.maxBytes) {
      throw new PayloadTooLargeError(`${this.what}: the tag list is larger than ${this.maxBytes} bytes`);
    }
    return link;
  }
}
