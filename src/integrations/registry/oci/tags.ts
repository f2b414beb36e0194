import * as z from 'zod/mini';
import { PayloadTooLargeError, UnavailableError } from '../../../domain/errors.js';
import { pullScope } from './auth.js';
import { safeJson, sig, type Exchange, type RegistryHttp } from './exchange.js';
import { validateRepository } from './names.js';
import { TagPages } from './tag-pages.js';

const TagList = z.object({ tags: z.nullish(z.array(z.string())) });

export interface TagListLimits {
  /** Per page. */
  maxPageBytes: number;
  /** All pages together. */
  maxTotalBytes: number;
  maxPages: number;
}

/** All tags, following `Link: <…>; rel="next"` pages (same origin only) within the limits. */
export async function listTags(
  http: RegistryHttp,
  repository: string,
  limits: TagListLimits,
  opts: { signal?: AbortSignal; pageSize?: number } = {},
): Promise<string[]> {
  validateRepository(repository);
  const what = `Tags of ${http.host}/${repository}`;
  const pages = new TagPages(what, http.settings.origin, limits.maxTotalBytes);
  let url: string | undefined =
    `${http.endpoint}/v2/${repository}/tags/list${opts.pageSize ? `?n=${opts.pageSize}` : ''}`;
  for (let page = 0; url !== undefined; page++) {
    if (page >= limits.maxPages)
      throw new PayloadTooLargeError(`${what}: more than ${limits.maxPages} pages`);
    const ex: Exchange = await http.exchange({
      kind: 'tags',
      method: 'GET',
      url,
      accept: 'application/json',
      scope: pullScope(repository),
      maxBytes: pages.limit(limits.maxPageBytes),
      ...sig(opts),
    });
    if (ex.status !== 200) throw http.error(ex, { repository, noun: 'Tags of' });
    const parsed = TagList.safeParse(safeJson(ex.body));
    if (!parsed.success) throw new UnavailableError(`${what}: the registry sent an unreadable tag list`);
    pages.add(ex.body.byteLength, parsed.data.tags ?? []);
    url = pages.next(nextLink(ex.headers.get('link'), ex.url));
  }
  return pages.tags;
}

/** `Link: </v2/x/tags/list?n=2&last=b>; rel="next"` → absolute URL, or undefined on the last page. */
export function nextLink(header: string | null, base: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (m && /\brel\s*=\s*"?next"?/i.test(m[2] ?? '')) return new URL(m[1] ?? '', base).href;
  }
  return undefined;
}
