import { sharingBody, type FormState, type TypeForm } from './model.js';

export type RunWhat = 'test' | 'commit';

export interface RunRequest {
  what: RunWhat;
  path: string;
  method: 'POST' | 'PATCH';
  body: unknown;
}

/** The API call behind "Test connection" (a draft test) and "Commit" (create or edit, tested first). */
export function buildRequest(form: TypeForm, s: FormState, editing: boolean, what: RunWhat): RunRequest {
  const testRuntime = s.testRuntime || undefined;
  if (what === 'test') {
    const body = {
      // With the name, the server fills in the stored secret a field left empty.
      ...(editing ? { name: s.name } : {}),
      type: form.type,
      sharing: sharingBody(s),
      [form.section]: form.sectionBody(s.values, 'draft'),
      ...(testRuntime ? { runtime: testRuntime } : {}),
    };
    return { what, path: '/integrations/test', method: 'POST', body };
  }
  const common = {
    sharing: sharingBody(s),
    skipTest: s.skipTest,
    ...(testRuntime ? { testRuntime } : {}),
  };
  if (editing) {
    const body = {
      description: s.description === '' ? null : s.description,
      [form.section]: form.sectionBody(s.values, 'edit'),
      ...common,
    };
    return { what, path: `/integrations/${encodeURIComponent(s.name)}`, method: 'PATCH', body };
  }
  const body = {
    name: s.name,
    type: form.type,
    ...(s.description ? { description: s.description } : {}),
    [form.section]: form.sectionBody(s.values, 'create'),
    ...common,
  };
  return { what, path: '/integrations', method: 'POST', body };
}
