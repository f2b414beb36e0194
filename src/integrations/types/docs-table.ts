import { secretPaths, type AnyIntegrationTypeDefinition } from './definition.js';

// The table of integration types in docs/integrations.md, generated from the definitions and checked by
// conformance.test.ts (`npm run docs:integration-types` rewrites it), as the CRD and OpenAPI docs are.

export const TABLE_BEGIN =
  '<!-- integration-types:begin — generated from src/integrations/types (npm run docs:integration-types) -->';
export const TABLE_END = '<!-- integration-types:end -->';

/** One row per type: what it is for, its secrets and their flags, where it runs. */
export function integrationTypesTable(definitions: readonly AnyIntegrationTypeDefinition[]): string {
  const rows = definitions.map((d) => [
    `\`${d.type}\``,
    `\`spec.${d.section}\``,
    d.summary,
    secretPaths(d)
      .map((p) => {
        const flag = d.cli.flags.find((f) => f.setting === p)?.flag;
        return `\`${p}\`${flag ? ` (\`${flag}\`)` : ''}`;
      })
      .join(', ') || 'none',
    d.availabilityText,
    `\`integration add ${d.cli.command}\``,
  ]);
  return markdownTable(['type', 'section', 'what', 'secrets (sealed), CLI flag', 'runtimes', 'CLI'], rows);
}

/** The document with the table between its markers replaced; the markers must be there. */
export function withTypesTable(doc: string, table: string): string {
  const begin = doc.indexOf(TABLE_BEGIN);
  const end = doc.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`the document has no ${TABLE_BEGIN} … ${TABLE_END} block`);
  return `${doc.slice(0, begin + TABLE_BEGIN.length)}\n\n${table}\n\n${doc.slice(end)}`;
}

/** Columns padded as prettier formats markdown tables, so a formatted file stays equal to the generated one. */
function markdownTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}
