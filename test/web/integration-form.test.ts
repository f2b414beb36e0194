import { describe, expect, it } from 'vitest';
import { definitionOf, type IntegrationTypeName } from '../../src/integrations/types/definitions.js';
import {
  CreateIntegrationInput,
  EditIntegrationInput,
  TestDraftInput,
} from '../../src/integrations/input.js';
import { handlerFor, INTEGRATION_TYPES } from '../../src/integrations/types/index.js';
import type { IntegrationView, RuntimeView } from '../../web/src/api/schemas.js';
import {
  emptyState,
  fieldOfPath,
  keptSecrets,
  stateFromView,
  validate,
  type FormState,
  type Values,
} from '../../web/src/pages/integration-form/model.js';
import { TYPE_FORMS } from '../../web/src/pages/integration-form/registry.js';
import { buildRequest } from '../../web/src/pages/integration-form/request.js';

// The dashboard's integration form as data, checked against the server's own input schemas: what each
// type's field set sends is what the API accepts, an empty secret on an edit is left out (the stored one
// is kept), and a changed destination needs the secret typed again.

interface Sample {
  values: Values;
  secret: string;
  destination: [key: string, value: string];
  view: Partial<IntegrationView>;
}

const SAMPLES: Record<IntegrationTypeName, Sample> = {
  'registry.ecr': {
    values: {
      region: 'eu-west-1',
      mode: 'accessKey',
      accessKeyId: 'AKIAABCDEFGHIJKLMNOP',
      secretAccessKey: 's3cret',
    },
    secret: 'secretAccessKey',
    destination: ['region', 'us-east-1'],
    view: {
      ecr: {
        region: 'eu-west-1',
        mode: 'accessKey',
        accessKeyId: 'AKIAABCDEFGHIJKLMNOP',
        secretAccessKey: { set: true },
      },
    },
  },
  'git.github': {
    values: { apiUrl: 'https://ghe.example.com/api/v3', token: 'ghp_token' },
    secret: 'token',
    destination: ['apiUrl', 'https://other.example.com/api/v3'],
    view: { github: { apiUrl: 'https://ghe.example.com/api/v3', token: { set: true } } },
  },
  'issue.jira': {
    values: {
      baseUrl: 'https://site.atlassian.net',
      authKind: 'cloud',
      email: 'a@example.com',
      apiToken: 'tok',
      projectPrefixes: 'PAY',
    },
    secret: 'apiToken',
    destination: ['baseUrl', 'https://other.atlassian.net'],
    view: {
      jira: {
        baseUrl: 'https://site.atlassian.net',
        auth: { kind: 'cloud', email: 'a@example.com', apiToken: { set: true } },
      },
    },
  },
};

const RUNTIMES: RuntimeView[] = [
  { name: 'local', type: 'hybrid', version: '0.2.0', recipient: 'age1x', inProcess: true, integrations: [] },
  { name: 'cloud', type: 'hosted', version: '0.2.0', recipient: 'age1y', inProcess: false, integrations: [] },
];

function storedView(type: IntegrationTypeName): IntegrationView {
  return {
    name: 'it',
    type,
    sharing: { allRuntimes: true },
    placements: [],
    availability: [],
    problems: [],
    ...SAMPLES[type].view,
  };
}

function filled(type: IntegrationTypeName): FormState {
  return { ...emptyState(TYPE_FORMS[type]), name: 'it', values: { ...SAMPLES[type].values } };
}

it('the dashboard has a field set for exactly the server’s integration types, under their sections', () => {
  expect(Object.keys(TYPE_FORMS).sort()).toEqual([...INTEGRATION_TYPES].sort());
  for (const t of INTEGRATION_TYPES) {
    expect(TYPE_FORMS[t].section).toBe(handlerFor(t).section);
    expect(definitionOf(t)?.section).toBe(handlerFor(t).section);
  }
});

describe.each(INTEGRATION_TYPES)('the %s field set', (type) => {
  const form = TYPE_FORMS[type];
  const h = handlerFor(type);
  const sample = SAMPLES[type];

  it('a filled create form sends what the API accepts, for a commit and a draft test', () => {
    const s = filled(type);
    expect(validate(form, s, { editing: false, kept: new Set(), runtimes: RUNTIMES })).toEqual({});
    const create = buildRequest(form, s, false, 'commit');
    expect(create).toMatchObject({ method: 'POST', path: '/integrations' });
    const body = CreateIntegrationInput.parse(create.body);
    expect(h.createInput.safeParse(body[form.section]).success).toBe(true);
    const draft = TestDraftInput.parse(buildRequest(form, s, false, 'test').body);
    expect(h.createInput.safeParse(draft[form.section]).success).toBe(true);
  });

  it('an empty secret is required on create (the only error of an otherwise filled form)', () => {
    const s = filled(type);
    s.values[sample.secret] = '';
    const e = validate(form, s, { editing: false, kept: new Set(), runtimes: RUNTIMES });
    expect(Object.keys(e)).toEqual([sample.secret]);
    expect(e[sample.secret]).toMatch(/is required/);
  });

  it('on edit the stored secret is kept: an empty field is valid and left out of the patch', () => {
    const view = storedView(type);
    const s = stateFromView(form, view);
    const kept = keptSecrets(form, view, s.values);
    expect([...kept]).toEqual([sample.secret]);
    expect(validate(form, s, { editing: true, kept, runtimes: RUNTIMES })).toEqual({});
    const edit = buildRequest(form, s, true, 'commit');
    expect(edit).toMatchObject({ method: 'PATCH', path: '/integrations/it' });
    const body = EditIntegrationInput.parse(edit.body);
    const section = h.patchInput.parse(body[form.section]);
    expect(JSON.stringify(section)).not.toMatch(new RegExp(`"${sample.secret}"`));
    const draft = TestDraftInput.parse(buildRequest(form, s, true, 'test').body);
    expect(draft.name).toBe('it');
    expect(h.draftInput.safeParse(draft[form.section]).success).toBe(true);
  });

  it('a typed secret replaces the stored one', () => {
    const view = storedView(type);
    const s = stateFromView(form, view);
    s.values[sample.secret] = 'replacement';
    const body = EditIntegrationInput.parse(buildRequest(form, s, true, 'commit').body);
    expect(JSON.stringify(body[form.section])).toContain('"replacement"');
  });

  it('a changed destination needs the secret typed again (it is sealed for where it is sent)', () => {
    const view = storedView(type);
    const s = stateFromView(form, view);
    const [key, value] = sample.destination;
    s.values[key] = value;
    const kept = keptSecrets(form, view, s.values);
    expect(kept.size).toBe(0);
    expect(validate(form, s, { editing: true, kept, runtimes: RUNTIMES })[sample.secret]).toMatch(/required/);
  });

  it('every field the server can name in an error is shown next to that field', () => {
    for (const f of form.fields) if (f.path) expect(fieldOfPath(form, f.path)).toBe(f.key);
    expect(fieldOfPath(form, 'sharing.runtimes')).toBe('runtimes');
  });
});

describe('ECR’s runtime rules, before anything is sent', () => {
  it('an IAM role shared with a hosted runtime is refused with the server’s words', () => {
    const form = TYPE_FORMS['registry.ecr'];
    const s: FormState = {
      ...filled('registry.ecr'),
      shareAll: false,
      runtimes: ['cloud'],
      values: { region: 'eu-west-1', mode: 'iamRole', roleArn: 'arn:aws:iam::123456789012:role/x' },
    };
    const e = validate(form, s, { editing: false, kept: new Set(), runtimes: RUNTIMES });
    expect(e['runtimes']).toMatch(/not supported on hosted runtimes: runtime "cloud"/);
  });
});
