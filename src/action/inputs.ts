import { CF_FIELDS, type CfField } from '../enrichment/codefresh/cf-variables.js';

/**
 * The GitHub Action's inputs. Report inputs mirror the shared CF_* mapping one to one (named like the CLI's
 * flags), so the Action, the CLI and Codefresh's client build the same report; the rest say how to reach
 * imagetrail and whether to wait.
 */

/** `registryIntegration` → `registry-integration`; the base64 Dockerfile keeps Codefresh's "content". */
function inputName(field: CfField): string {
  return field === 'dockerfile'
    ? 'dockerfile-content'
    : field.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** Each report input and the CF_* variable it stands for. */
export const REPORT_INPUTS: ReadonlyArray<{ input: string; variable: string }> = (
  Object.entries(CF_FIELDS) as Array<[CfField, string]>
).map(([field, variable]) => ({ input: inputName(field), variable }));

export const CONNECTION_INPUTS = ['imagetrail-url', 'imagetrail-token'] as const;
export const BEHAVIOUR_INPUTS = ['wait', 'wait-timeout', 'idempotency-key'] as const;

/**
 * How the runner hands an input to a JavaScript action: the environment variable `INPUT_<NAME>`, the name
 * upper-cased with spaces replaced by `_` (dashes stay). GitHub docs, "Metadata syntax for GitHub Actions",
 * inputs: https://docs.github.com/en/actions/reference/workflows-and-actions/metadata-syntax#inputs
 * An input that was not given arrives as its default, or empty; empty means "not set", as in actions/core.
 */
export function readInput(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  const v = env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/** The report inputs as the CF_* variables the shared mapping reads. */
export function cfVariablesFromInputs(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { input, variable } of REPORT_INPUTS) {
    const v = readInput(env, input);
    if (v !== undefined) out[variable] = v;
  }
  return out;
}
