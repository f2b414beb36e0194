import type * as z from 'zod';
import {
  AuthenticationError,
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnavailableError,
  UnreachableError,
} from '../domain/errors.js';
import { httpClient, type HttpAnswer } from './http.js';

/**
 * The agent's HTTP calls to the control plane: one bearer token, a timeout on every call, zod-checked
 * answers, and the API's error body turned back into the error taxonomy. Outbound only.
 */
export class AgentTransport {
  private readonly http = httpClient();

  constructor(
    readonly baseUrl: string,
    private token: string,
    private readonly timeoutMs = 30_000,
  ) {}

  useToken(token: string): void {
    this.token = token;
  }

  async call<S extends z.ZodType>(
    schema: S,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    opts: { waitMs?: number; signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<z.output<S>> {
    const res = await this.reach(() =>
      this.http(this.baseUrl + path, {
        method,
        headers: this.headers(body !== undefined),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        timeoutMs: (opts.timeoutMs ?? this.timeoutMs) + (opts.waitMs ?? 0),
        signal: opts.signal,
      }),
    );
    return this.interpret(schema, method, path, res);
  }

  /**
   * A POST whose headers go now and whose body goes when `send` is called (httpClient's `open`): for a
   * result the agent is still working out. `send` resolves to undefined, having sent nothing, when the
   * opened request ended first; the caller then sends it with `call`. Call `abandon` if it is not sent.
   */
  open<S extends z.ZodType>(
    schema: S,
    path: string,
    maxOpenMs: number,
  ): { send(body: unknown): Promise<z.output<S> | undefined>; abandon(): void } {
    const opened = this.http.open(
      this.baseUrl + path,
      { method: 'POST', headers: this.headers(true) },
      maxOpenMs,
    );
    return {
      send: async (body) => {
        let res: HttpAnswer;
        try {
          res = await opened.send(JSON.stringify(body), this.timeoutMs);
        } catch (err) {
          if ((err as { code?: unknown }).code === 'EXCHANGE_ENDED') return undefined;
          throw unreachable(this.baseUrl, err);
        }
        return this.interpret(schema, 'POST', path, res);
      },
      abandon: () => opened.abandon(),
    };
  }

  private headers(withBody: boolean): Record<string, string> {
    return {
      authorization: `Bearer ${this.token}`,
      accept: 'application/json',
      ...(withBody ? { 'content-type': 'application/json' } : {}),
    };
  }

  private async reach(exchange: () => Promise<HttpAnswer>): Promise<HttpAnswer> {
    try {
      return await exchange();
    } catch (err) {
      throw unreachable(this.baseUrl, err);
    }
  }

  private interpret<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    res: HttpAnswer,
  ): z.output<S> {
    const text = res.text;
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.status < 200 || res.status > 299) throw toError(res.status, json, text);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new UnavailableError(
        `The control plane answered ${method} ${path} with a body this agent does not understand.`,
      );
    }
    return parsed.data;
  }
}

function unreachable(baseUrl: string, err: unknown): Error {
  if (err instanceof PayloadTooLargeError) return err;
  return new UnreachableError(`Cannot reach the control plane at ${baseUrl}: ${describe(err)}.`, {
    cause: err,
  });
}

function describe(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
}

function toError(status: number, json: unknown, text: string) {
  const body = (json as { error?: { message?: unknown; hints?: unknown } } | undefined)?.error;
  const message = typeof body?.message === 'string' ? body.message : `HTTP ${status}: ${text.slice(0, 200)}`;
  const hints = Array.isArray(body?.hints) ? body.hints.filter((h) => typeof h === 'string') : [];
  switch (status) {
    case 400:
      return new InputError(message, { hints });
    case 401:
      return new AuthenticationError(message, { hints });
    case 403:
      return new NotAllowedError(message, { hints });
    case 404:
      return new NotFoundError(message, { hints });
    case 409:
      return new ConflictError(message, { hints });
    default:
      return new UnavailableError(message, { hints });
  }
}
