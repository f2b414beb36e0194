import { describe, expect, it } from 'vitest';
import { describeIssue, describeIssues, issuePath } from './issue-path.js';

describe('issuePath', () => {
  it('renders object keys with dots and array indexes in brackets', () => {
    expect(issuePath(['spec', 'ecr', 'auth', 'roleArn'])).toBe('spec.ecr.auth.roleArn');
    expect(issuePath(['spec', 'regions', 0, 'name'])).toBe('spec.regions[0].name');
    expect(issuePath(['items', 2])).toBe('items[2]');
    expect(issuePath([0, 'id'])).toBe('[0].id');
    expect(issuePath(['matrix', 1, 0])).toBe('matrix[1][0]');
  });

  it('names the root, and keys that are numbers as strings or symbols, readably', () => {
    expect(issuePath([])).toBe('(root)');
    expect(issuePath(['labels', '0'])).toBe('labels.0');
    expect(issuePath([Symbol('s')])).toBe('Symbol(s)');
  });
});

describe('describeIssue(s)', () => {
  const issues = [
    { path: ['items', 0, 'scopes'], message: 'Invalid input: expected array, received undefined' },
    { path: [], message: 'Expected object' },
    { path: ['name'], message: 'Too long' },
  ];

  it('puts the path before the message', () => {
    expect(describeIssue(issues[0]!)).toBe(
      'items[0].scopes: Invalid input: expected array, received undefined',
    );
    expect(describeIssue(issues[1]!)).toBe('(root): Expected object');
  });

  it('joins several, and says when some were left out', () => {
    expect(describeIssues(issues.slice(1))).toBe('(root): Expected object; name: Too long');
    expect(describeIssues(issues, 1)).toBe(
      'items[0].scopes: Invalid input: expected array, received undefined; …',
    );
  });
});
