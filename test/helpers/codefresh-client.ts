import { promisify } from 'node:util';
import { deflate } from 'node:zlib';
import EventSource from 'eventsource';

/**
 * A faithful stand-in for Codefresh's unchanged report-image client (codefresh-io/codefresh-report-image),
 * on the same `eventsource` 2.x library it depends on (package.json `"eventsource": "^2.0.1"`). Each step
 * cites the client source it reproduces. What it does not reproduce: its logger's formatting, and its
 * GraphQL library (graphql-request), replaced by fetch with the same body and headers.
 */

const deflateAsync = promisify(deflate);

export interface ClientLine {
  level: 'info' | 'warn' | 'error' | 'workflow';
  text: string;
}

export interface ClientRun {
  /** The process exit code the client would end with (`mainErrorHandling`: 1 on any error, else 0). */
  code: 0 | 1;
  lines: ClientLine[];
  /** Every SSE event received, in order. */
  events: Array<{ type: string; data: string }>;
  /** The report URL it requested (with its query), for the tests' assertions only. */
  url?: string;
}

export interface ClientOptions {
  /** Close the connection after this many events, as a CI job killed mid-stream would. */
  dropAfterEvents?: number;
  /** The compressed-query threshold of the client version being imitated (`src/utils.ts`). */
  compressFromVersion?: string;
}

/** `src/validate.ts`: every `CF_[A-Z_]+` variable with a non-empty value. */
function filterEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (/^CF_[A-Z_]+$/.test(k) && v) out[k] = v;
  return out;
}

/** `src/validate.ts`: CF_API_KEY, CF_IMAGE and exactly one of CF_RUNTIME_NAME / CF_HOST. */
function validate(payload: Record<string, string>): void {
  if (!payload['CF_API_KEY']) throw new Error('CF_API_KEY must be provided as environment variable.');
  if (!payload['CF_IMAGE']) throw new Error('CF_IMAGE must be provided as environment variable.');
  if (!payload['CF_RUNTIME_NAME'] === !payload['CF_HOST'])
    throw new Error('exactly one of CF_RUNTIME_NAME or CF_HOST must be provided');
}

/** `semver.gte` on MAJOR.MINOR.PATCH, the pre-release suffix dropped. */
function gte(a: string, b: string): boolean {
  const pa = a.replace(/-.*$/, '').split('.').map(Number);
  const pb = b.replace(/-.*$/, '').split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) > (pb[i] ?? 0);
  return true;
}

/** `src/utils.ts` `getRuntimeInfo`: the platform's GraphQL runtime lookup. */
async function runtimeInfo(
  name: string,
  headers: Record<string, string>,
  platform: string,
): Promise<{ ingressHost: string; runtimeVersion: string }> {
  const res = await fetch(`${platform}/2.0/api/graphql`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'query Runtime($name: String!) { runtime(name: $name) { ingressHost, runtimeVersion } }',
      variables: { name },
      operationName: 'Runtime',
    }),
  });
  const text = await res.text();
  // graphql-request throws a ClientError on a non-2xx status or an `errors` array.
  const json = JSON.parse(text) as { data?: { runtime?: Record<string, string> | null }; errors?: unknown };
  if (!res.ok || json.errors) throw new Error(`GraphQL Error (Code: ${res.status}): ${text}`);
  const rt = json.data?.runtime;
  if (!rt?.['ingressHost']) {
    throw new Error(
      rt ? `ingress host is not defined on your '${name}' runtime` : `runtime '${name}' does not exist`,
    );
  }
  return { ingressHost: rt['ingressHost'], runtimeVersion: rt['runtimeVersion'] ?? '' };
}

/** `src/utils.ts` `getQueryStringCompressed` / `getQueryString`. */
async function queryString(payload: Record<string, string>, compress: boolean): Promise<string> {
  if (!compress) {
    return Object.entries(payload)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&');
  }
  const dockerfile = payload['CF_DOCKERFILE_CONTENT'];
  if (dockerfile) {
    const deflated = await deflateAsync(Buffer.from(dockerfile, 'base64'), { level: 9, strategy: 0 });
    payload['CF_DOCKERFILE_CONTENT'] = deflated.toString('base64');
  }
  const noEscaping = Object.entries(payload)
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const data = (await deflateAsync(Buffer.from(noEscaping), { level: 9, strategy: 0 })).toString('base64');
  return `data=${encodeURIComponent(data)}`;
}

/** `src/utils.ts` `buildUrlHeaders`. */
async function buildUrlHeaders(
  payload: Record<string, string>,
  compressFrom: string,
): Promise<{ url: string; headers: Record<string, string> }> {
  const headers = { authorization: payload['CF_API_KEY'] ?? '' };
  const runtimeName = payload['CF_RUNTIME_NAME'];
  let host: string;
  let runtimeVersion: string | undefined;
  if (!runtimeName) {
    host = payload['CF_HOST'] ?? '';
    delete payload['CF_HOST'];
  } else {
    const info = await runtimeInfo(
      runtimeName,
      headers,
      payload['CF_PLATFORM_URL'] || 'https://g.codefresh.io',
    );
    host = info.ingressHost;
    runtimeVersion = info.runtimeVersion;
    delete payload['CF_RUNTIME_NAME'];
    delete payload['CF_PLATFORM_URL'];
  }
  delete payload['CF_API_KEY'];
  const qs = await queryString(payload, Boolean(runtimeVersion && gte(runtimeVersion, compressFrom)));
  if (payload['CF_LOCAL']) return { url: `${host}/api/image-report?${qs}`, headers };
  return { url: `${host}/app-proxy/api/image-report?${qs}`, headers };
}

function tryParseJson(s: string | undefined): unknown {
  try {
    return JSON.parse(s ?? '');
  } catch {
    return s;
  }
}

/** `src/main.ts` `main` + `mainErrorHandling`: runs the client with `env` and resolves with its exit code. */
export async function runCodefreshClient(
  env: Record<string, string | undefined>,
  opts: ClientOptions = {},
): Promise<ClientRun> {
  const lines: ClientLine[] = [];
  const events: ClientRun['events'] = [];
  let url: string | undefined;
  try {
    const payload = filterEnv(env);
    validate(payload);
    const built = await buildUrlHeaders(payload, opts.compressFromVersion ?? '0.0.553');
    url = built.url;
    await stream(built, lines, events, opts.dropAfterEvents);
    return { code: 0, lines, events, url };
  } catch (err) {
    lines.push({ level: 'error', text: String(err) });
    return { code: 1, lines, events, ...(url ? { url } : {}) };
  }
}

function stream(
  built: { url: string; headers: Record<string, string> },
  lines: ClientLine[],
  events: ClientRun['events'],
  dropAfter: number | undefined,
): Promise<void> {
  const es = new EventSource(built.url, { headers: built.headers });
  // `src/main.ts`: "prevent retry. client should not issue a reconnect".
  (es as unknown as { reconnectInterval: number }).reconnectInterval = 1000 * 100000;
  return new Promise<void>((resolve, reject) => {
    const seen = (type: string, e: MessageEvent) => {
      events.push({ type, data: String(e.data ?? '') });
      if (dropAfter !== undefined && events.length >= dropAfter) {
        es.close();
        reject(new Error('connection dropped by the test'));
      }
    };
    es.addEventListener(
      'info',
      (e) => (seen('info', e), lines.push({ level: 'info', text: String(e.data) })),
    );
    es.addEventListener(
      'warn',
      (e) => (seen('warn', e), lines.push({ level: 'warn', text: String(e.data) })),
    );
    es.addEventListener('workflow-log', (e) => {
      seen('workflow-log', e);
      const log = tryParseJson(String(e.data)) as { podName?: string; content?: string } | string;
      const text =
        typeof log === 'object' && log.content && log.podName
          ? `[${log.podName}] ${log.content}`
          : String(e.data);
      lines.push({ level: 'workflow', text });
    });
    es.addEventListener('heartbeat', (e) => seen('heartbeat', e));
    es.addEventListener('error', (e) => {
      seen('error', e);
      es.close();
      const error = tryParseJson((e as { data?: string }).data);
      let name: string | undefined;
      let message: string | undefined;
      if (typeof error === 'string') message = error;
      else if (error && typeof error === 'object') {
        const o = error as { name?: unknown; message?: unknown };
        if (typeof o.message === 'string') message = o.message;
        if (typeof o.name === 'string') name = o.name;
      } else {
        message =
          (e as { message?: string }).message || `Unknown error. Something went wrong. ${JSON.stringify(e)}`;
      }
      // `src/errors.ts` EventSourceError prints as "name: message".
      reject(new Error(name ? `${name}: ${message ?? ''}` : (message ?? '')));
    });
    es.addEventListener('end', (e) => {
      seen('end', e);
      es.close();
      lines.push({ level: 'info', text: String(e.data) });
      resolve();
    });
  });
}
