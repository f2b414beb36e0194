import * as z from 'zod/mini';

export interface AuthChallenge {
  /** Lower-cased: `bearer`, `basic`. */
  scheme: string;
  /** Parameter names lower-cased; quoted values unescaped. */
  params: Record<string, string>;
}

/** Longer challenges are ignored: registries send a few hundred bytes, Node caps all headers at 16 KiB. */
export const MAX_CHALLENGE_LENGTH = 8 * 1024;
/** Parameters read from one challenge; the token flow needs three (realm, service, scope). */
export const MAX_CHALLENGE_PARAMS = 16;

const TOKEN_START = /[A-Za-z]/;
const TOKEN_CHAR = /[\w-]/;
const SPACE = /\s/;

/**
 * Parses one `WWW-Authenticate` value (RFC 9110 §11.6.1): `Bearer realm="https://…",service="…",
 * scope="repository:a:pull"`. Registries send a single challenge; quoted values may contain commas
 * (multi-action scopes) and backslash escapes. A single left-to-right scan, so the cost is linear in the
 * header whatever a hostile registry sends, and bounded by MAX_CHALLENGE_LENGTH; an unreadable part ends
 * the parameters (what was read before it is kept).
 */
export function parseChallenge(header: string | null): AuthChallenge | undefined {
  if (!header || header.length > MAX_CHALLENGE_LENGTH) return undefined;
  const s = new Scanner(header);
  s.skip(SPACE);
  const scheme = s.token();
  if (!scheme) return undefined;
  const params = new Map<string, string>();
  while (params.size < MAX_CHALLENGE_PARAMS) {
    s.skip(/[\s,]/);
    const key = s.token();
    if (!key) break;
    s.skip(SPACE);
    if (!s.take('=')) break;
    s.skip(SPACE);
    const value = s.peek() === '"' ? s.quoted() : s.until(/[\s,]/);
    if (value === undefined) break;
    params.set(key.toLowerCase(), value);
  }
  // fromEntries defines own properties, so a `__proto__` parameter is data, never a prototype.
  return { scheme: scheme.toLowerCase(), params: Object.fromEntries(params) };
}

class Scanner {
  private i = 0;
  constructor(private readonly text: string) {}

  peek(): string | undefined {
    return this.text[this.i];
  }

  take(char: string): boolean {
    if (this.text[this.i] !== char) return false;
    this.i++;
    return true;
  }

  skip(re: RegExp): void {
    while (this.i < this.text.length && re.test(this.text[this.i]!)) this.i++;
  }

  /** `[A-Za-z][\w-]*`, or '' when none starts here. */
  token(): string {
    const start = this.i;
    if (!TOKEN_START.test(this.text[this.i] ?? '')) return '';
    this.i++;
    this.skip(TOKEN_CHAR);
    return this.text.slice(start, this.i);
  }

  until(stop: RegExp): string {
    const start = this.i;
    while (this.i < this.text.length && !stop.test(this.text[this.i]!)) this.i++;
    return this.text.slice(start, this.i);
  }

  /** A quoted-string with `\x` escapes; undefined when the closing quote is missing. */
  quoted(): string | undefined {
    this.i++; // the opening quote
    let out = '';
    while (this.i < this.text.length) {
      const c = this.text[this.i++]!;
      if (c === '"') return out;
      if (c === '\\' && this.i < this.text.length) out += this.text[this.i++]!;
      else out += c;
    }
    return undefined;
  }
}

/** Token endpoint answer (distribution token spec): `token`, or the OAuth2 name `access_token`. */
export const BearerTokenResponse = z
  .object({
    token: z.optional(z.string().check(z.minLength(1))),
    access_token: z.optional(z.string().check(z.minLength(1))),
    expires_in: z.catch(z.optional(z.number().check(z.positive())), undefined),
  })
  .check(z.refine((t) => t.token !== undefined || t.access_token !== undefined, 'no token in the response'));
export type BearerTokenResponse = z.infer<typeof BearerTokenResponse>;
