import { InternalError } from '../../domain/errors.js';
import type { AnyIntegrationTypeDefinition } from './definition.js';
import type { AnyIntegrationTypeHandler } from './handler.js';

/**
 * The server finds a type's behaviour by where it lives, so registering a type is one line in the
 * browser-safe definitions.ts: `registry.ecr` is `registry-ecr/handler.ts`, exporting
 * `defineHandler(registryEcrDefinition, …)`. A second, server-side list would be a line to forget; the
 * compiler checked that one, and now the check runs when the handlers load (every start, every test).
 */

/** A type's folder: `registry.ecr` → `registry-ecr`. */
export function typeFolder(type: string): string {
  return type.replace('.', '-');
}

/** Where type folders are: the file named in errors, and how to import it. */
export interface HandlerSource {
  file(folder: string): string;
  load(folder: string): Promise<unknown>;
}

/** The built-in types' folders, next to this file. */
export const TYPE_FOLDERS: HandlerSource = {
  file: (folder) => `src/integrations/types/${folder}/handler.ts`,
  // A template with the `.ts` name, so the bundler (esbuild) sees the pattern and bundles every
  // `*/handler.ts` here; vitest imports the TypeScript file as it is.
  load: (folder) => import(`./${folder}/handler.ts`),
};

/**
 * Every definition's handler, by type. Rejects, naming the type and the file, when a handler.ts is
 * missing, exports no handler, or exports one built from another definition than the registered one.
 */
export async function loadHandlers<D extends AnyIntegrationTypeDefinition>(
  definitions: readonly D[],
  source: HandlerSource,
): Promise<Record<D['type'], AnyIntegrationTypeHandler>> {
  const entries = await Promise.all(definitions.map(async (d) => [d.type, await loadHandler(d, source)]));
  return Object.fromEntries(entries) as Record<D['type'], AnyIntegrationTypeHandler>;
}

async function loadHandler(
  d: AnyIntegrationTypeDefinition,
  source: HandlerSource,
): Promise<AnyIntegrationTypeHandler> {
  const folder = typeFolder(d.type);
  const file = source.file(folder);
  const fail = (why: string, cause?: unknown) =>
    new InternalError(`Integration type ${d.type} has no handler: ${file} ${why}`, {
      cause,
      hints: [
        `Every type in src/integrations/types/definitions.ts needs ${folder}/handler.ts exporting defineHandler(<its definition>, …): docs/adding-an-integration-type.md`,
      ],
    });
  let module: unknown;
  try {
    module = await source.load(folder);
  } catch (err) {
    throw fail(`could not be loaded (${err instanceof Error ? err.message : String(err)})`, err);
  }
  const handlers = Object.values(module ?? {}).filter(isHandler);
  const own = handlers.find((h) => h.definition === d);
  if (own) return own;
  if (handlers.length === 0) throw fail('exports none built by defineHandler');
  const types = handlers.map((h) => h.definition.type).join(', ');
  throw fail(`exports one built from another definition (${types}), not the registered one`);
}

/** What defineHandler returns, told apart from the schemas and helpers a handler.ts also exports. */
function isHandler(v: unknown): v is AnyIntegrationTypeHandler {
  if (typeof v !== 'object' || v === null) return false;
  const h = v as Partial<Record<keyof AnyIntegrationTypeHandler, unknown>>;
  return (
    typeof h.definition === 'object' &&
    typeof h.build === 'function' &&
    typeof h.merge === 'function' &&
    typeof h.test === 'function'
  );
}
