import { OPERATIONS } from './operations.js';

export const ROUTES_BEGIN = '<!-- routes:begin (generated from src/server/openapi/operations.ts) -->';
export const ROUTES_END = '<!-- routes:end -->';

/** docs/api.md's route list, from the same registry as the OpenAPI document (a list: Prettier keeps it as is). */
export function routeList(): string {
  return OPERATIONS.map((op) => {
    const who = op.public ? 'no token' : op.scopes.map((s) => `\`${s}\``).join(', ');
    return `- \`${op.method.toUpperCase()} /api/v1${op.path}\`: ${op.summary} (${who})`;
  }).join('\n');
}
