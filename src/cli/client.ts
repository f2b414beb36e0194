import { readFile } from 'node:fs/promises';
import { discoverServer } from './discovery.js';
import { join } from 'node:path';
import {
  AuthenticationError,
  InputError,
  UnavailableError,
  UnreachableError,
  type AppError,
} from '../domain/errors.js';
import { decodeError, ERROR_CODEC, kindForName } from '../domain/error-codec.js';
import { ErrorBody } from '../contract/errors.js';
import type * as z from 'zod';
import { describeIssue } from '../domain/issue-path.js';

export interface ClientOptions {
  server?: string;
  token?: string;
  tokenFile?: string;
  dataDir?: string;
  timeoutMs?: number;
}

/**
 * The CLI's view of the API. Server errors come back as the same taxonomy the server threw, so exit codes
 * are decided in one place (exit-codes.ts) whether a failure happened here or there.
 */
export class ApiClient {
  private constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
    private readonly timeoutMs: number,
  ) {}

  static async create(o: ClientOptions, env: NodeJS.ProcessEnv = process.env): Promise<ApiClient> {
    const local = await discoverServer(o, env);
    const server = local.server;
    if (!/^https?:\/\//.test(server)) {
      throw new InputError(`--server must be an http(s) URL, got "${server}"`, {
        hints: ['e.g. --server http://127.0.0.1:8080'],
      });
    }
    let token = o.token ?? env['IMAGETRAIL_TOKEN'];
    if (!token && o.tokenFile) token = (await readFile(o.tokenFile, 'utf8')).trim();
    if (!token && local.dataDir)
      token = await readFile(join(local.dataDir, 'admin-token'), 'utf8').then(
        (t) => t.trim(),
        () => undefined,
      );
    return new ApiClient(server.replace(/\/+$/, ''), token, o.timeoutMs ?? 120_000);
  }

  /** A request whose answer is checked against the shared contract (src/contract/), never cast. */
  async call<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    body?: unknown,
    extraHeaders?: Record<string, string>,
  ): Promise<z.output<S>> {
    const what = `${method} ${path.replace(/\?.*$/, '')}`;
    return answerOf(schema, await this.request(method, path, body, extraHeaders), what);
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders?: Record<string, string>,
  ): Promise<unknown> {
    const res = await this.fetch(method, path, body, 'application/json', extraHeaders);
    const text = await res.text();
    const json = text ? safeJson(text) : undefined;
    if (!res.ok) throw this.toError(res.status, json, text);
    return json;
  }

  /** NDJSON streaming (connection tests): calls onLine per line; returns the final `result` line. */
  async stream(
    method: string,
    path: string,
    body: unknown,
    onLine: (line: Record<string, unknown>) => void,
  ): Promise<unknown> {
    const res = await this.fetch(method, path, body, 'application/x-ndjson');
    if (!res.ok || !(res.headers.get('content-type') ?? '').includes('ndjson')) {
      const text = await res.text();
      if (!res.ok) throw this.toError(res.status, safeJson(text), text);
      return safeJson(text);
    }
    const decoder = new TextDecoder();
    let buf = '';
    let final: Record<string, unknown> | undefined;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const raw = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!raw) continue;
        const line = safeJson(raw) as Record<string, unknown>;
        if (line['type'] === 'result' || line['type'] === 'error') final = line;
        else onLine(line);
      }
    }
    if (!final) throw new UnavailableError('The server closed the connection before the test finished.');
    if (final['type'] === 'error') {
      const err = final['error'] as Record<string, unknown>;
      throw this.toError(
        ERROR_CODEC[kindForName(String(err['name'])) ?? 'internal'].status,
        { error: err, result: err['result'] },
        '',
      );
    }
    return final['result'];
  }

  private async fetch(
    method: string,
    path: string,
    body: unknown,
    accept: string,
    extraHeaders: Record<string, string> = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...extraHeaders, accept };
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(this.baseUrl + path, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new UnreachableError(
        `Cannot reach the imagetrail server at ${this.baseUrl}: ${describeFetchError(err)}.`,
        {
          cause: err,
          hints: [
            'Start it with: imagetrail serve',
            'Or point the CLI at it with --server URL or IMAGETRAIL_SERVER.',
          ],
        },
      );
    }
  }

  private toError(status: number, json: unknown, text: string): AppError {
    const parsed = ErrorBody.safeParse(json);
    const err = parsed.success
      ? decodeError(status, parsed.data.error, parsed.data.result)
      : decodeError(status, { message: `HTTP ${status}: ${text.slice(0, 200)}` });
    // The server reached us; what it could not reach is one of its peers: the request failed (exit 1).
    if (err.kind === 'unreachable') return new UnavailableError(err.message, err);
    if (err.kind !== 'authentication') return err;
    return new AuthenticationError(err.message, {
      details: err.details,
      hints: [
        ...err.hints,
        'Pass a token with IMAGETRAIL_TOKEN (or --token-file); the first admin token is in <data-dir>/admin-token.',
      ],
    });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused (is the server running?)';
  if ((err as Error).name === 'TimeoutError') return 'timed out';
  return cause?.message ?? (err as Error).message;
}

/** Checks a server answer against the contract; a mismatch names the field, most likely a version skew. */
export function answerOf<S extends z.ZodType>(schema: S, json: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  throw new UnavailableError(
    `The server's answer to ${what} does not match what this CLI expects (${first ? describeIssue(first) : 'invalid'}).`,
    {
      hints: [
        'Are the CLI and the server the same imagetrail version? Compare `imagetrail --version` with `imagetrail status`.',
      ],
    },
  );
}
