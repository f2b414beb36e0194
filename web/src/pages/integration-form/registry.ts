import {
  modeOf,
  sectionView,
  type AnyIntegrationTypeDefinition,
} from '../../../../src/integrations/types/definition.js';
import {
  INTEGRATION_TYPE_DEFINITIONS,
  type IntegrationSection,
  type IntegrationTypeName,
} from '../../../../src/integrations/types/definitions.js';
import type { Values } from '../../../../src/integrations/types/form-model.js';
import type { TypeForm } from './model.js';

/**
 * A type's form from its definition: the fields are the type's (`<type>/form.ts`); the runtime rule is the
 * one the server applies, fed with the mode setting as typed in the form.
 */
function typeForm(d: AnyIntegrationTypeDefinition): TypeForm {
  const mode = d.mode;
  const modeField =
    'path' in mode ? d.form.fields.find((f) => f.path === `${d.section}.${mode.path}`) : undefined;
  const settingsOf = (v: Values): unknown =>
    'path' in mode && modeField ? withPath(mode.path, v[modeField.key]) : {};
  return {
    ...d.form,
    type: d.type as IntegrationTypeName,
    section: d.section as IntegrationSection,
    title: d.title,
    runtimeRule: (v, rt) => d.runtimeRule(modeOf(d, settingsOf(v)), rt),
    fromView: (view) => d.form.fromView(sectionView(d, view)),
    storedSecrets: (view, v) => d.form.storedSecrets(sectionView(d, view), v),
    summary: (view) => d.form.summary(sectionView(d, view)),
  };
}

function withPath(path: string, value: unknown): unknown {
  return path
    .split('.')
    .reverse()
    .reduce<unknown>((inner, key) => ({ [key]: inner }), value);
}

/** The integration types the dashboard can add and edit: every registered type definition. */
export const TYPE_FORMS = Object.fromEntries(
  INTEGRATION_TYPE_DEFINITIONS.map((d) => [d.type, typeForm(d)]),
) as Record<IntegrationTypeName, TypeForm>;

/** The form of a type the dashboard knows, or undefined (a newer server's type is edited with the CLI). */
export function typeFormFor(type: string | null | undefined): TypeForm | undefined {
  return type && Object.hasOwn(TYPE_FORMS, type) ? TYPE_FORMS[type as IntegrationTypeName] : undefined;
}

/** The add page of a type; ECR keeps the plain address it always had. */
export function addPath(form: TypeForm, base: string): string {
  return form.type === 'registry.ecr' ? base : `${base}?type=${encodeURIComponent(form.type)}`;
}
