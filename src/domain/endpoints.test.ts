import { describe, expect, it } from 'vitest';
import { InputError } from './errors.js';
import { STRICT_ENDPOINTS, assertEndpoints, endpointProblem, parseEndpointPolicy } from './endpoints.js';

const field = { field: 'jira.baseUrl' };
const aws = { field: 'ecr.endpoints.api', aws: true };

describe('endpointProblem', () => {
  it('allows https anywhere and loopback over http', () => {
    for (const u of [
      'https://jira.example.com',
      'http://127.0.0.1:9000',
      'http://localhost:1',
      'http://[::1]:80',
    ])
      expect(endpointProblem(u, field, STRICT_ENDPOINTS)).toBeUndefined();
  });

  it('refuses plain http to another host, naming the field and the fix', () => {
    const p = endpointProblem('http://example.com/jira', field, STRICT_ENDPOINTS);
    expect(p).toMatch(/^jira\.baseUrl: .*not https.*--allow-endpoint example\.com/);
    expect(
      endpointProblem('http://example.com', field, parseEndpointPolicy(['example.com'])),
    ).toBeUndefined();
    expect(
      endpointProblem('http://a.corp.test:5000', field, parseEndpointPolicy(['*.corp.test:5000'])),
    ).toBeUndefined();
    expect(
      endpointProblem('http://a.corp.test:5001', field, parseEndpointPolicy(['*.corp.test:5000'])),
    ).toMatch(/not https/);
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'https://169.254.170.2',
    'http://[fd00:ec2::254]/',
    'http://[fe80::1]/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://100.100.100.200/latest/meta-data/',
    'http://0xA9FEA9FE/',
    'http://[::ffff:169.254.169.254]/',
  ])('refuses the metadata address %s even when allowlisted', (u) => {
    const everything = parseEndpointPolicy([
      '169.254.*',
      '100.100.*',
      '[fe80::1]',
      '[::ffff:a9fe:a9fe]',
      '169.254.169.254',
      '[fd00:ec2::254]',
      'metadata.google.internal',
    ]);
    expect(endpointProblem(u, field, everything)).toMatch(/metadata/);
  });

  it('ECR API and STS overrides must be AWS hosts, loopback or allowlisted', () => {
    expect(endpointProblem('https://api.ecr.eu-west-1.amazonaws.com', aws, STRICT_ENDPOINTS)).toBeUndefined();
    expect(endpointProblem('https://sts.cn-north-1.amazonaws.com.cn', aws, STRICT_ENDPOINTS)).toBeUndefined();
    expect(endpointProblem('http://127.0.0.1:5000', aws, STRICT_ENDPOINTS)).toBeUndefined();
    expect(endpointProblem('https://evil.example', aws, STRICT_ENDPOINTS)).toMatch(/not an AWS endpoint/);
    expect(endpointProblem('https://amazonaws.com.evil.example', aws, STRICT_ENDPOINTS)).toMatch(
      /not an AWS/,
    );
    expect(
      endpointProblem('https://vpce.corp.example', aws, parseEndpointPolicy(['vpce.corp.example'])),
    ).toBeUndefined();
  });

  it('assertEndpoints throws an input error with one detail per field', () => {
    expect(() =>
      assertEndpoints(
        [
          { url: 'http://example.com', rule: field },
          { url: undefined, rule: aws },
        ],
        STRICT_ENDPOINTS,
      ),
    ).toThrow(InputError);
  });

  it.each(['', 'a b', 'http://x', ':80', '*'])('parseEndpointPolicy refuses %j', (p) => {
    if (p === '') expect(parseEndpointPolicy([p]).allow).toEqual([]);
    else if (p === '*') expect(() => parseEndpointPolicy([p])).toThrow(InputError);
    else expect(() => parseEndpointPolicy([p])).toThrow(InputError);
  });
});
