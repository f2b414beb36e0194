import type { ClientRequest } from 'node:http';
import { PayloadTooLargeError } from '../domain/errors.js';
import { keepAliveModules } from '../integrations/node-http.js';

export interface HttpAnswer {
  status: number;
  text: string;
}

export interface HttpExchange {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** The whole exchange (connect, send, answer) ends with an error after this long. */
  timeoutMs: number;
  /** Ends the exchange early (the agent stops). */
  signal?: AbortSignal | undefined;
}

/**
 * A request whose headers are on their way and whose body is not: see `HttpClient.open`. Used once.
 */
export interface OpenedExchange {
  /**
   * Sends the body and waits for the answer (the deadline counts from now). Rejects with code
   * `EXCHANGE_ENDED`, sending nothing, when the exchange ended before: the server answered early, the
   * connection was cut, or it was held open too long. The caller then sends the request anew.
   */
  send(body: string, timeoutMs: number, signal?: AbortSignal): Promise<HttpAnswer>;
  /** Drops the exchange if its body was not sent (the server reads a request cut off before its body). */
  abandon(): void;
}

export type HttpClient = ((url: string, init: HttpExchange) => Promise<HttpAnswer>) & {
  /**
   * Starts a request now and sends its body later (chunked). Connecting, the headers and what the server
   * does with them (routing, the token check) then happen while the body is still being worked out, not
   * after. Held open at most `maxOpenMs`: proxies cut requests idle for long (nginx and AWS ALB after 60 s).
   */
  open(
    url: string,
    init: Omit<HttpExchange, 'body' | 'timeoutMs' | 'signal'>,
    maxOpenMs: number,
  ): OpenedExchange;
};

/**
 * Bytes of one control-plane answer the agent reads at most: a hostile or broken control plane (or proxy)
 * must not make it buffer without bound. Its largest answers (a claim's jobs, the configuration snapshot)
 * are far smaller; the control plane's own limit on what agents send is 4 MiB.
 */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/**
 * The agent's calls to the control plane over `node:http(s)` (integrations/node-http.ts: why not fetch).
 * The deadline is a timer and the stop signal one listener, taken off when the exchange ends: an
 * AbortSignal.timeout (joined with AbortSignal.any) given to the request cost ≈ 60 µs more CPU per call on
 * a loaded 2-core machine, on each claim and completion of a report.
 */
export function httpClient(opts: { maxResponseBytes?: number } = {}): HttpClient {
  const limit = opts.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const forProtocol = keepAliveModules();
  // Throws at once when the request cannot even be made (a bad header): the caller's error, not an answer.
  const begin = (url: string, init: { method: string; headers: Record<string, string> }) => {
    const u = new URL(url);
    const { module, agent } = forProtocol(u.protocol);
    let settle!: { resolve: (a: HttpAnswer) => void; reject: (e: unknown) => void };
    const answer = new Promise<HttpAnswer>((resolve, reject) => (settle = { resolve, reject }));
    const tooLarge = () =>
      new PayloadTooLargeError(
        `The control plane's answer to ${init.method} ${u.pathname} is larger than the limit of ${limit} bytes.`,
      );
    let responded = false;
    const req = module.request(u, { method: init.method, headers: init.headers, agent }, (res) => {
      responded = true;
      // Over the limit: the connection is dropped (not reused), so the rest is never read.
      if (Number(res.headers['content-length'] ?? 0) > limit) {
        settle.reject(tooLarge());
        return void req.destroy();
      }
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (d: Buffer) => {
        size += d.length;
        if (size > limit) {
          settle.reject(tooLarge());
          return void req.destroy();
        }
        parts.push(d);
      });
      res.on('error', settle.reject);
      res.on('end', () =>
        settle.resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }),
      );
      // A connection cut mid-answer: settles the promise (a no-op once settled).
      res.on('close', () => {
        if (!res.complete)
          settle.reject(Object.assign(new Error('connection closed mid-answer'), { code: 'ECONNRESET' }));
      });
    });
    req.on('error', settle.reject);
    return { req, answer, responded: () => responded };
  };

  const call = (url: string, init: HttpExchange): Promise<HttpAnswer> => {
    const { req, answer } = begin(url, init);
    bound(req, answer, init.timeoutMs, init.signal);
    req.end(init.body);
    return answer;
  };

  const open: HttpClient['open'] = (url, init, maxOpenMs) => {
    const { req, answer, responded } = begin(url, init);
    let state: 'open' | 'ended' | 'sent' = 'open';
    // Ends it unsent. The state first: a send() before the destroyed request reports its error sees it.
    const drop = (why: string) => {
      clearTimeout(cap);
      if (state !== 'open') return;
      state = 'ended';
      req.destroy(codedError(why, 'EXCHANGE_ENDED'));
    };
    // An answer before the body (a refusal) leaves the request unfinished: its socket cannot be reused,
    // so it is closed now. Settling also marks a rejection handled.
    answer.then(
      () => drop('answered before its body'),
      () => drop('failed before its body'),
    );
    const cap = setTimeout(() => drop('held open too long'), maxOpenMs);
    cap.unref();
    req.flushHeaders();
    return {
      send(body, timeoutMs, signal) {
        if (state !== 'open' || responded()) {
          drop('answered before its body');
          return Promise.reject(codedError('the opened request has ended', 'EXCHANGE_ENDED'));
        }
        state = 'sent';
        clearTimeout(cap);
        bound(req, answer, timeoutMs, signal);
        req.end(body);
        return answer;
      },
      abandon: () => drop('abandoned'),
    };
  };
  return Object.assign(call, { open });
}

/** The deadline and the stop signal of one exchange, both taken off when it settles. */
function bound(
  req: ClientRequest,
  answer: Promise<HttpAnswer>,
  timeoutMs: number,
  signal?: AbortSignal,
): void {
  const fail = (err: Error) => req.destroy(err);
  const timer = setTimeout(
    () => fail(codedError(`no answer within ${timeoutMs} ms`, 'ETIMEDOUT')),
    timeoutMs,
  );
  const stop = () => fail(codedError('the agent is stopping', 'ABORT_ERR', 'AbortError'));
  const done = () => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', stop);
  };
  answer.then(done, done);
  if (signal?.aborted) stop();
  else signal?.addEventListener('abort', stop, { once: true });
}

function codedError(message: string, code: string, name?: string): Error {
  return Object.assign(new Error(message), { code }, name ? { name } : {});
}
