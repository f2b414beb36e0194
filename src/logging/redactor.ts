/**
 * Secrets are registered here the moment they are read (from stdin, an API body, a decrypted sealed
 * value, an STS response, a registry token), and every log line and error message passes through
 * `redact` before it leaves the process. One instance per server/CLI process, injected, never global.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  register(secret: string | undefined | null): void {
    // Very short strings would redact ordinary words; real secrets are long.
    if (secret && secret.length >= 6) {
      this.secrets.add(secret);
      // Also the Basic-auth form and base64 form, which is how tokens travel in headers.
      this.secrets.add(Buffer.from(secret).toString('base64'));
    }
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) {
      if (out.includes(s)) out = out.split(s).join('[REDACTED]');
    }
    return out;
  }

  /** Deep-redacts strings in a JSON-like value (log objects, error bodies). */
  redactValue<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (value instanceof Error) return value; // the logger's err serializer redacts message and stack
    if (Array.isArray(value)) return value.map((v: unknown) => this.redactValue(v)) as T;
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.redactValue(v);
      return out as T;
    }
    return value;
  }
}
