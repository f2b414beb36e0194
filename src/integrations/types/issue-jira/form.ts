import * as z from 'zod';
import { EndpointUrl } from '../../../domain/names.js';
import { filled, type FormSpec, type Values } from '../form-model.js';
import type { JiraView } from './view.js';

/** `issue.jira`: issues named in commits, from Jira Cloud (email + API token) or Server/DC (a PAT). */

const cloud = (v: Values) => v['authKind'] === 'cloud';
const server = (v: Values) => v['authKind'] === 'server';

function auth(v: Values) {
  // An empty secret is left out: on an edit (or a draft test of one) the stored secret of that kind is kept.
  return cloud(v)
    ? { kind: 'cloud', email: v['email'], ...filled({ apiToken: v['apiToken'] }) }
    : { kind: 'server', ...filled({ pat: v['pat'] }) };
}

export const jiraForm: FormSpec<JiraView> = {
  addTitle: 'Add a Jira integration',
  addLabel: 'Add Jira integration',
  fields: [
    {
      kind: 'url',
      key: 'baseUrl',
      label: 'Base URL',
      group: 'main',
      path: 'jira.baseUrl',
      required: true,
      schema: EndpointUrl,
      help: 'https://SITE.atlassian.net, or the Server/Data Center URL with its context path.',
    },
    {
      kind: 'choice',
      key: 'authKind',
      label: 'Jira flavour',
      group: 'auth',
      path: 'jira.auth.kind',
      options: [
        { value: 'cloud', label: 'Jira Cloud', help: 'The account’s email and an API token.' },
        { value: 'server', label: 'Server / Data Center', help: 'A personal access token.' },
      ],
    },
    {
      kind: 'email',
      key: 'email',
      label: 'Account email',
      group: 'auth',
      path: 'jira.auth.email',
      required: true,
      schema: z.email('must be an email address such as bot@example.com'),
      when: cloud,
    },
    {
      kind: 'secret',
      key: 'apiToken',
      label: 'API token',
      group: 'auth',
      path: 'jira.auth.apiToken',
      when: cloud,
    },
    {
      kind: 'secret',
      key: 'pat',
      label: 'Personal access token',
      group: 'auth',
      path: 'jira.auth.pat',
      when: server,
    },
    {
      kind: 'text',
      key: 'projectPrefixes',
      label: 'Project keys (optional)',
      group: 'advanced',
      path: 'jira.projectPrefixes',
      help: 'Only issue keys of these projects are looked up, e.g. PAY,WEB. Empty: any key.',
    },
    {
      kind: 'checkbox',
      key: 'failOnNotFound',
      label: 'Fail the report when a named issue does not exist',
      group: 'advanced',
      path: 'jira.failOnNotFound',
    },
  ],
  destinations: { keys: ['baseUrl'], words: 'the base URL' },
  initial: { authKind: 'cloud' },

  fromView(j): Values {
    if (!j) return {};
    return {
      baseUrl: j.baseUrl,
      authKind: j.auth.kind,
      email: j.auth.kind === 'cloud' ? j.auth.email : '',
      projectPrefixes: j.projectPrefixes ?? '',
      failOnNotFound: j.failOnNotFound ? 'true' : '',
    };
  },

  storedSecrets(j, v) {
    const a = j?.auth;
    if (a?.kind === 'cloud' && cloud(v) && a.apiToken.set) return ['apiToken'];
    if (a?.kind === 'server' && server(v) && a.pat.set) return ['pat'];
    return [];
  },

  sectionBody(v, mode) {
    const fail = v['failOnNotFound'] === 'true';
    if (mode === 'edit') {
      // `null` clears an optional setting on an edit.
      return {
        baseUrl: v['baseUrl'],
        auth: auth(v),
        projectPrefixes: v['projectPrefixes'] || null,
        failOnNotFound: fail ? true : null,
      };
    }
    return {
      baseUrl: v['baseUrl'],
      auth: auth(v),
      ...filled({ projectPrefixes: v['projectPrefixes'] }),
      ...(fail ? { failOnNotFound: true } : {}),
    };
  },

  summary(j) {
    if (!j) return 'Jira';
    return `${j.auth.kind === 'cloud' ? 'Jira Cloud' : 'Jira Server/DC'} (${j.baseUrl})`;
  },
};
