import type { IntegrationTypeName } from '../../../../src/contract/integrations.js';
import { ecrForm } from './ecr.js';
import { githubForm } from './github.js';
import { jiraForm } from './jira.js';
import type { TypeForm } from './model.js';

/** The integration types the dashboard can add and edit: one line each. */
export const TYPE_FORMS = {
  'registry.ecr': ecrForm,
  'git.github': githubForm,
  'issue.jira': jiraForm,
} satisfies { [T in IntegrationTypeName]: TypeForm & { type: T } };

/** The form of a type the dashboard knows, or undefined (a newer server's type is edited with the CLI). */
export function typeFormFor(type: string | null | undefined): TypeForm | undefined {
  return type && Object.hasOwn(TYPE_FORMS, type) ? TYPE_FORMS[type as IntegrationTypeName] : undefined;
}

/** The add page of a type; ECR keeps the plain address it always had. */
export function addPath(form: TypeForm, base: string): string {
  return form.type === 'registry.ecr' ? base : `${base}?type=${encodeURIComponent(form.type)}`;
}
