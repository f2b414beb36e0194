import { describe, expect, it } from 'vitest';
import { Issue } from './schema.js';

const payload = {
  expand: 'renderedFields',
  id: '10002',
  self: 'https://example.atlassian.net/rest/api/3/issue/10002',
  key: 'PROJ-2',
  fields: {
    summary: 'Login fails',
    status: {
      name: 'In Review',
      id: '10001',
      statusCategory: { id: 4, key: 'indeterminate', name: 'In Progress', colorName: 'yellow' },
    },
    assignee: { accountId: '5b10', displayName: 'Mona Lisa', active: true },
    description: { type: 'doc', version: 1, content: [] },
  },
};

describe('Issue', () => {
  it('reads summary, status with its category and assignee; ignores the rest', () => {
    const i = Issue.parse(payload);
    expect(i.key).toBe('PROJ-2');
    expect(i.fields.status).toEqual({
      name: 'In Review',
      statusCategory: { key: 'indeterminate', name: 'In Progress' },
    });
    expect(i.fields.assignee?.displayName).toBe('Mona Lisa');
  });

  it('accepts an unassigned issue (null) and a hidden assignee field (absent)', () => {
    expect(
      Issue.parse({ ...payload, fields: { ...payload.fields, assignee: null } }).fields.assignee,
    ).toBeNull();
    const { assignee: _a, ...rest } = payload.fields;
    expect(Issue.parse({ ...payload, fields: rest }).fields.assignee).toBeUndefined();
  });

  it('refuses an answer without a status category', () => {
    const bad = { ...payload, fields: { ...payload.fields, status: { name: 'Open' } } };
    expect(Issue.safeParse(bad).success).toBe(false);
  });
});
