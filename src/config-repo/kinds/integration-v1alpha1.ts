import * as z from 'zod';
import { isAppError } from '../../domain/errors.js';
import { parseKeyMatcher } from '../../domain/issue-keys.js';
import { valueAt, type SettingFormat } from '../../integrations/types/definition.js';
import { INTEGRATION_TYPE_DEFINITIONS } from '../../integrations/types/definitions.js';
import { API_VERSION, Metadata } from './common.js';

const Description = z.string().max(500).optional();

type Definitions = typeof INTEGRATION_TYPE_DEFINITIONS;
/** `{ type: 'git.github', description?, github: GitHubSpec }` for one definition. */
type Variant<D extends Definitions[number]> = z.ZodObject<
  { type: z.ZodLiteral<D['type']>; description: typeof Description } & { [K in D['section']]: D['spec'] }
>;
/** Homomorphic over the tuple, so the union keeps one typed variant per definition, in order. */
type VariantsOf<T extends readonly Definitions[number][]> = { -readonly [I in keyof T]: Variant<T[I]> };
type Variants = VariantsOf<Definitions>;

/** The parsers behind the definitions' `formats` (each throws an InputError saying what is wrong). */
const FORMAT_CHECKS: Record<SettingFormat, (value: string) => unknown> = {
  'issue-key-matcher': parseKeyMatcher,
};

function withFormats(d: Definitions[number]): z.ZodType {
  const formats = Object.entries(d.formats ?? {});
  if (formats.length === 0) return d.spec;
  return d.spec.superRefine((value, ctx) => {
    for (const [path, format] of formats) {
      const v = valueAt(value, path);
      if (typeof v !== 'string') continue;
      try {
        FORMAT_CHECKS[format](v);
      } catch (err) {
        if (!isAppError(err)) throw err;
        ctx.addIssue({ code: 'custom', path: path.split('.'), message: err.message });
      }
    }
  });
}

function variant(d: Definitions[number]): z.ZodObject {
  return z.object({ type: z.literal(d.type), description: Description, [d.section]: withFormats(d) });
}

/**
 * `resources/all-runtimes-all-clusters/<name>.yaml` or `resources/runtimes/<runtime>/<name>.yaml`.
 * Where the file lives says whom it is shared with; the content does not repeat it. Each type keeps its
 * settings in a section named after it (`spec.ecr`, `spec.github`, `spec.jira`), so a file says what it is
 * at a glance and a misplaced section is a validation error rather than silently ignored. One variant per
 * registered type definition.
 */
export const IntegrationV1alpha1 = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Integration'),
  metadata: Metadata,
  spec: z.discriminatedUnion('type', INTEGRATION_TYPE_DEFINITIONS.map(variant) as unknown as Variants),
});
export type IntegrationV1alpha1 = z.infer<typeof IntegrationV1alpha1>;
export type IntegrationSpec = IntegrationV1alpha1['spec'];
export type IntegrationType = IntegrationSpec['type'];
/** The spec of one type, narrowed: `SpecOf<'git.github'>['github']`. */
export type SpecOf<T extends IntegrationType> = Extract<IntegrationSpec, { type: T }>;
