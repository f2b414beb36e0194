import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CF_FIELDS } from '../enrichment/codefresh/cf-variables.js';
import {
  BEHAVIOUR_INPUTS,
  CONNECTION_INPUTS,
  REPORT_INPUTS,
  cfVariablesFromInputs,
  readInput,
} from './inputs.js';
import { escapeData } from './main.js';

const meta = parse(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')) as {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, unknown>;
};

describe('action.yml', () => {
  it('declares exactly the report inputs (one per CF_* field), the connection and the behaviour inputs', () => {
    expect(Object.keys(meta.inputs).sort()).toEqual(
      [...REPORT_INPUTS.map((i) => i.input), ...CONNECTION_INPUTS, ...BEHAVIOUR_INPUTS].sort(),
    );
    expect(REPORT_INPUTS.map((i) => i.variable).sort()).toEqual(Object.values(CF_FIELDS).sort());
    // Each report input's description names its variable, so the docs and the mapping cannot drift apart.
    for (const { input, variable } of REPORT_INPUTS)
      expect(meta.inputs[input]!.description).toContain(variable);
    expect(Object.keys(meta.outputs).sort()).toEqual(['digest', 'image-id', 'report-id', 'status']);
  });
});

describe('inputs as the runner passes them', () => {
  it('reads INPUT_<NAME>: upper-cased, spaces as _, dashes kept; empty is not set', () => {
    const env = {
      'INPUT_REGISTRY-INTEGRATION': ' ecr ',
      INPUT_MY_INPUT: 'x',
      'INPUT_GIT-BRANCH': '',
    };
    expect(readInput(env, 'registry-integration')).toBe('ecr');
    expect(readInput(env, 'my input')).toBe('x');
    expect(readInput(env, 'git-branch')).toBeUndefined();
    expect(readInput(env, 'image')).toBeUndefined();
  });

  it('maps report inputs onto the CF_* variables and nothing else', () => {
    expect(
      cfVariablesFromInputs({
        INPUT_IMAGE: 'r/app:1',
        'INPUT_GIT-SHA': 'abc',
        'INPUT_DOCKERFILE-CONTENT': 'RlJPTQ==',
        'INPUT_IMAGETRAIL-TOKEN': 'secret',
        CF_API_KEY: 'from-the-runner',
      }),
    ).toEqual({ CF_IMAGE: 'r/app:1', CF_GIT_REVISION: 'abc', CF_DOCKERFILE_CONTENT: 'RlJPTQ==' });
  });
});

describe('workflow commands', () => {
  it('escapes %, CR and LF so a multi-line message stays one command', () => {
    expect(escapeData('50% done\r\nnext')).toBe('50%25 done%0D%0Anext');
  });
});
