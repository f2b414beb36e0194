import { inflateSync } from 'node:zlib';
import { InputError, PayloadTooLargeError } from '../../../domain/errors.js';
import { MAX_DOCKERFILE_BYTES, type CfNote } from '../../../enrichment/codefresh/cf-variables.js';

/**
 * The variables of a Codefresh report-image request. The client sends them as the query string, or, when
 * the runtime it looked up is new enough (client: `gte(runtimeVersion, '0.0.553')`), as one `data=` parameter: base64 of the zlib-deflated
 * (RFC 1950) `k=v&…` string, in which `CF_DOCKERFILE_CONTENT` is itself base64(deflate(Dockerfile)).
 * That inner string is not percent-encoded (client `src/utils.ts` `getQueryStringCompressed`).
 * Here both forms come back as plain variables, with `CF_DOCKERFILE_CONTENT` as base64 of the Dockerfile.
 * Inflating is capped, so a small `data=` cannot expand into a large allocation (zip bomb).
 */

/** The decoded variables, at most: the same bound as a JSON request body. */
export const MAX_INFLATED_QUERY_BYTES = 256 * 1024;

/** Values of these variables are never echoed in errors: the query may carry credentials. */
export function cfQueryVariables(url: URL): { vars: Record<string, string>; notes: CfNote[] } {
  const notes: CfNote[] = [];
  const data = url.searchParams.get('data');
  if (data === null) return { vars: toRecord(url.searchParams), notes };

  const text = inflateCapped(base64Bytes(data, 'data'), MAX_INFLATED_QUERY_BYTES, 'data').toString('utf8');
  const vars = splitUnescaped(text);
  const dockerfile = vars['CF_DOCKERFILE_CONTENT'];
  if (dockerfile !== undefined && dockerfile !== '') {
    try {
      const raw = inflateCapped(base64Bytes(dockerfile, 'CF_DOCKERFILE_CONTENT'), MAX_DOCKERFILE_BYTES, 'x');
      vars['CF_DOCKERFILE_CONTENT'] = raw.toString('base64');
    } catch (err) {
      delete vars['CF_DOCKERFILE_CONTENT'];
      const reason =
        err instanceof PayloadTooLargeError
          ? `it is larger than ${MAX_DOCKERFILE_BYTES} bytes`
          : 'it is not deflated base64';
      notes.push({ level: 'warn', text: `CF_DOCKERFILE_CONTENT is ignored: ${reason}.` });
    }
  }
  return { vars, notes };
}

/**
 * The client joins `${k}=${v}` with '&' without escaping, so a value may hold '&', '=', '+' or '%'. Names
 * always match CF_[A-Z_]+ (the client keeps no others), so a variable starts only where one follows '&'.
 */
function splitUnescaped(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(/&(?=CF_[A-Z_]+=)/)) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const k = part.slice(0, eq);
    if (!Object.hasOwn(out, k)) out[k] = part.slice(eq + 1);
  }
  return out;
}

function toRecord(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  // The first value wins; the client never repeats a name.
  for (const [k, v] of params) if (!Object.hasOwn(out, k)) out[k] = v;
  return out;
}

function base64Bytes(v: string, what: string): Buffer {
  // A '+' turns into a space when a value was form-decoded without having been percent-encoded.
  const b64 = v.replace(/ /g, '+');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) && !/^[A-Za-z0-9_-]*={0,2}$/.test(b64)) {
    throw new InputError(`The ${what} parameter is not base64.`, {
      hints: ["Send the variables as Codefresh's report-image client does."],
    });
  }
  return Buffer.from(b64, /[_-]/.test(b64) ? 'base64url' : 'base64');
}

function inflateCapped(bytes: Buffer, max: number, what: string): Buffer {
  try {
    return inflateSync(bytes, { maxOutputLength: max });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new PayloadTooLargeError(`The ${what} parameter inflates to more than ${max} bytes.`);
    }
    throw new InputError(`The ${what} parameter is not zlib-deflated data.`, {
      hints: ["Send the variables as Codefresh's report-image client does (zlib deflate, then base64)."],
    });
  }
}
