import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateIdentity } from './sealing.js';
import { integrationsForRuntime, loadSnapshot, resolveIntegration } from './snapshot.js';

let dir = '';
let recipient = '';
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imagetrail-snap-'));
  recipient = (await generateIdentity()).recipient;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(rel: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
  await writeFile(path.join(dir, rel), text);
}
const integration = (name: string, region: string) =>
  stringify({
    apiVersion: 'imagetrail.dev/v1alpha1',
    kind: 'Integration',
    metadata: { name },
    spec: {
      type: 'registry.ecr',
      ecr: { region, auth: { mode: 'iamRole', roleArn: 'arn:aws:iam::123456789012:role/r' } },
    },
  });
const runtime = (name: string) =>
  stringify({
    apiVersion: 'imagetrail.dev/v1alpha1',
    kind: 'Runtime',
    metadata: { name },
    spec: { type: 'hybrid', version: '0.1.30', recipient },
  });

describe('loadSnapshot', () => {
  it('loads runtimes and integrations with their placement, and applies precedence', async () => {
    await put('runtimes/eu/runtime.yaml', runtime('eu'));
    await put('runtimes/us/runtime.yaml', runtime('us'));
    await put('resources/all-runtimes-all-clusters/ecr.yaml', integration('ecr', 'us-east-1'));
    await put('resources/runtimes/eu/ecr.yaml', integration('ecr', 'eu-west-1'));
    await put('README.md', '# x');
    await put('other/ignored.yaml', 'not: [valid');
    const snap = await loadSnapshot(dir, undefined, { commit: 'c1' });
    expect(snap.problems).toEqual([]);
    expect([...snap.runtimes.keys()].sort()).toEqual(['eu', 'us']);
    expect(snap.integrations).toHaveLength(2);
    expect(resolveIntegration(snap, 'eu', 'ecr')?.resource.spec).toMatchObject({
      ecr: { region: 'eu-west-1' },
    });
    expect(resolveIntegration(snap, 'eu', 'ecr')?.placement).toEqual({ scope: 'runtime', runtime: 'eu' });
    expect(resolveIntegration(snap, 'us', 'ecr')?.resource.spec).toMatchObject({
      ecr: { region: 'us-east-1' },
    });
    expect(resolveIntegration(snap, 'us', 'nope')).toBeUndefined();
    expect(integrationsForRuntime(snap, 'eu').map((e) => e.file)).toEqual(['resources/runtimes/eu/ecr.yaml']);
  });

  it('keeps serving the last valid version of a file that became invalid', async () => {
    await put('resources/all-runtimes-all-clusters/ecr.yaml', integration('ecr', 'us-east-1'));
    const s1 = await loadSnapshot(dir, undefined, { commit: 'aaaa1111' });
    await put('resources/all-runtimes-all-clusters/ecr.yaml', integration('ecr', 'mars-1'));
    const s2 = await loadSnapshot(dir, s1, { commit: 'bbbb2222' });
    expect(s2.integrations[0]?.resource.spec).toMatchObject({ ecr: { region: 'us-east-1' } });
    expect(s2.problems).toContainEqual(
      expect.objectContaining({ path: 'spec.ecr.region', severity: 'error' }),
    );
    expect(s2.problems).toContainEqual(
      expect.objectContaining({
        message: expect.stringMatching(
          /invalid since commit bbbb2222.*last valid version \(commit aaaa1111\) is still in use/,
        ) as string,
      }),
    );
    // Still invalid one commit later: "since" stays at the first invalid commit.
    const s3 = await loadSnapshot(dir, s2, { commit: 'cccc3333' });
    expect(s3.problems.some((p) => p.message.includes('invalid since commit bbbb2222'))).toBe(true);
    // Fixed: the new version is served and the problem is gone.
    await put('resources/all-runtimes-all-clusters/ecr.yaml', integration('ecr', 'eu-west-2'));
    const s4 = await loadSnapshot(dir, s3, { commit: 'dddd4444' });
    expect(s4.problems).toEqual([]);
    expect(s4.integrations[0]?.resource.spec).toMatchObject({ ecr: { region: 'eu-west-2' } });
  });

  it('warns about an integration shared with a runtime that does not exist', async () => {
    await put('resources/runtimes/ghost/ecr.yaml', integration('ecr', 'us-east-1'));
    const snap = await loadSnapshot(dir, undefined, { commit: null });
    expect(snap.problems).toEqual([
      expect.objectContaining({ severity: 'warning', file: 'resources/runtimes/ghost/ecr.yaml' }),
    ]);
  });
});
