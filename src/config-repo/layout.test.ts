import { describe, expect, it } from 'vitest';
import { InputError } from '../domain/errors.js';
import {
  classifyPath,
  controlPlanePath,
  inClusterPath,
  integrationPath,
  runtimePath,
  safeRelativePath,
} from './layout.js';

describe('layout', () => {
  it('builds the Codefresh-compatible paths', () => {
    expect(integrationPath({ scope: 'all' }, 'prod-ecr')).toBe(
      'resources/all-runtimes-all-clusters/prod-ecr.yaml',
    );
    expect(integrationPath({ scope: 'runtime', runtime: 'eu' }, 'prod-ecr')).toBe(
      'resources/runtimes/eu/prod-ecr.yaml',
    );
    expect(runtimePath('eu')).toBe('runtimes/eu/runtime.yaml');
    expect(inClusterPath('eu')).toBe('runtimes/eu/in-cluster.yaml');
    expect(controlPlanePath()).toBe('resources/control-planes/control-plane.yaml');
  });

  it.each(['../x', 'a/b', 'A', '', 'x.y', '-a'])('refuses the name %j before building a path', (n) => {
    expect(() => integrationPath({ scope: 'all' }, n)).toThrow(InputError);
    expect(() => integrationPath({ scope: 'runtime', runtime: n }, 'ok')).toThrow(InputError);
    expect(() => runtimePath(n)).toThrow(InputError);
  });

  it('classifies paths by role', () => {
    expect(classifyPath('resources/all-runtimes-all-clusters/a.yaml')).toEqual({
      role: 'integration',
      placement: { scope: 'all' },
      name: 'a',
    });
    expect(classifyPath('resources/runtimes/eu/a.yaml')).toEqual({
      role: 'integration',
      placement: { scope: 'runtime', runtime: 'eu' },
      name: 'a',
    });
    expect(classifyPath('runtimes/eu/runtime.yaml')).toEqual({ role: 'runtime', runtime: 'eu' });
    expect(classifyPath('runtimes/eu/in-cluster.yaml')).toEqual({ role: 'in-cluster', runtime: 'eu' });
    expect(classifyPath('resources/control-planes/control-plane.yaml')).toEqual({ role: 'control-plane' });
    expect(classifyPath('resources/all-runtimes-all-clusters/sub/a.yaml')).toEqual({ role: 'layout-other' });
    expect(classifyPath('README.md')).toEqual({ role: 'outside' });
  });

  it.each(['/etc/passwd', '../x', 'a/../../x', '.git/config', 'a/.git/x', ''])(
    'safeRelativePath refuses %j',
    (p) => {
      expect(() => safeRelativePath(p)).toThrow(InputError);
    },
  );
  it('safeRelativePath normalises', () => {
    expect(safeRelativePath('./a//b/')).toBe('a/b');
  });
});
