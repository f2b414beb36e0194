import type { Handler } from 'hono';
import { openApiDocument } from './document.js';

/**
 * `GET /api/v1/openapi.json`, public: the document describes the open-source API and holds nothing about
 * this deployment (no names, no secrets), and clients need it before they have a token.
 */
export function openApiHandler(version: string): Handler {
  let doc: Record<string, unknown> | undefined; // built on first use, once per app
  return (c) => c.json((doc ??= openApiDocument(version)));
}
