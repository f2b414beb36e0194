import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { conformanceProblems } from './conformance.js';
import { secretPaths } from './definition.js';
import { INTEGRATION_TYPE_DEFINITIONS, secretFieldNames } from './definitions.js';
import { integrationTypesTable, withTypesTable } from './docs-table.js';
import { handlerFor, INTEGRATION_TYPES } from './index.js';

const DOC = new URL('../../../docs/integrations.md', import.meta.url);

describe('every registered integration type', () => {
  it('has every piece: sealed secrets with their form field and -stdin flag, settings that exist, a runtime rule, docs words', () => {
    expect(conformanceProblems(INTEGRATION_TYPE_DEFINITIONS)).toEqual([]);
  });

  it('has a server handler in its folder (<kind>-<name>/handler.ts), built from its definition', () => {
    // index.ts loads them when first imported and refuses a missing or foreign one (handler-loader.ts);
    // this names the contract a registered type must meet.
    expect([...INTEGRATION_TYPES]).toEqual(INTEGRATION_TYPE_DEFINITIONS.map((d) => d.type));
    for (const d of INTEGRATION_TYPE_DEFINITIONS) expect(handlerFor(d.type).definition).toBe(d);
  });

  it('marks its secrets once, by the SealedValue schema; redaction covers them all', () => {
    const paths = Object.fromEntries(INTEGRATION_TYPE_DEFINITIONS.map((d) => [d.type, secretPaths(d)]));
    expect(paths).toEqual({
      'registry.ecr': ['auth.secretAccessKey'],
      'git.github': ['token'],
      'issue.jira': ['auth.apiToken', 'auth.pat'],
    });
    expect(secretFieldNames()).toEqual(['apiToken', 'pat', 'secretAccessKey', 'token']);
  });

  it('is in the docs table of docs/integrations.md (npm run docs:integration-types regenerates it)', async () => {
    const doc = await readFile(DOC, 'utf8');
    const want = withTypesTable(doc, integrationTypesTable(INTEGRATION_TYPE_DEFINITIONS));
    if (process.env['IMAGETRAIL_UPDATE_DOCS'] === '1' && want !== doc) await writeFile(DOC, want);
    else expect(doc, 'docs/integrations.md: run npm run docs:integration-types').toBe(want);
  });
});
