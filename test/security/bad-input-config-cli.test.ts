import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/imagetrail.js';
import { personClone } from '../helpers/git.js';
import {
  arns,
  expectServerSurvived,
  load,
  names,
  refs,
  regions,
  remote,
  ROLE,
  send,
  server,
  urls,
  useCorpusServer,
  type Str,
} from './bad-input-corpus.js';

// The bad-input corpus (see bad-input-corpus.ts) as hand-edited YAML in the configuration repository (each
// a reported problem with file and field path) and through the CLI (exit 2, saying what to fix). The API:
// bad-input-api.test.ts.

interface YamlCase {
  file: string;
  text?: string;
  gen?: { kind: 'huge' | 'deep' | 'longline' | 'binary'; bytes?: number; depth?: number };
  why: string;
  path: string;
}

const yamls = load<YamlCase[]>('yaml-resources.json');

// The server must come through these too: what "after the whole corpus" (bad-input-api.test.ts) checks of
// the server itself is checked here once the last test is done, before the server stops.
useCorpusServer({ beforeStop: expectServerSurvived });

describe('hand-edited YAML in the configuration repository', () => {
  it(`${yamls.length} bad resources pushed to the remote are each reported with file and path; nothing breaks`, async () => {
    const person = await personClone(remote.url);
    try {
      for (const c of yamls) {
        let text = c.text ?? '';
        if (c.gen?.kind === 'huge')
          text =
            'apiVersion: imagetrail.dev/v1alpha1\nkind: Integration\n# ' + 'x'.repeat(c.gen.bytes!) + '\n';
        if (c.gen?.kind === 'deep')
          text = 'spec: ' + '['.repeat(c.gen.depth!) + ']'.repeat(c.gen.depth!) + '\n';
        if (c.gen?.kind === 'longline') {
          const name = c.file
            .split('/')
            .pop()!
            .replace(/\.yaml$/, '');
          text = `apiVersion: imagetrail.dev/v1alpha1\nkind: Integration\nmetadata: {name: ${name}}\nspec: {type: git.github, description: "${'d'.repeat(c.gen.bytes!)}", github: {token: x}}\n`;
        }
        if (c.gen?.kind === 'binary') {
          let seed = 7;
          text = Array.from({ length: c.gen.bytes! }, () =>
            String.fromCharCode((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256),
          ).join('');
        }
        await person.write(c.file, text);
      }
      await person.commitAndPush('hand edits: the bad-input corpus');
      const sync = await send('POST', '/api/v1/config/sync');
      expect(sync.status, sync.text).toBe(200);
      const problems: Array<{ file: string; path: string; message: string; severity: string }> =
        sync.json.problems;
      const failures: string[] = [];
      for (const c of yamls) {
        const mine = problems.filter((p) => p.file === c.file);
        if (mine.length === 0) failures.push(`${c.file} (${c.why}): not reported`);
        else if (!mine.some((p) => p.path.startsWith(c.path)))
          failures.push(`${c.file} (${c.why}): no problem at ${c.path || '(file)'}: ${JSON.stringify(mine)}`);
        else if (mine.some((p) => p.message.length < 10 || /^cannot validate/.test(p.message)))
          failures.push(`${c.file} (${c.why}): unclear message: ${JSON.stringify(mine)}`);
      }
      expect(failures, failures.join('\n')).toEqual([]);
      // A clear-text secret is reported, but never echoed back.
      expect(JSON.stringify(problems)).not.toMatch(/CorpusClear|hunter2/);
      // The last valid state keeps serving; none of the bad resources was applied. (y-orphan is a valid
      // resource for a runtime that does not exist yet: listed by design, with a warning.)
      const list = await send('GET', '/api/v1/integrations');
      expect(list.status).toBe(200);
      expect(list.json.items.map((i: { name: string }) => i.name)).toEqual(['corpus-existing', 'y-orphan']);
      const rts = await send('GET', '/api/v1/runtimes');
      expect(rts.json.items.map((i: { name: string }) => i.name)).toEqual(['local']);
      // The CLI reports them too (exit 1: the configuration has problems), each with its file.
      const status = await cli(server, ['config', 'status', '--json']);
      expect(status.code, status.stderr).toBe(1);
      const cliProblems = JSON.parse(status.stdout).problems as Array<{ file: string }>;
      for (const c of yamls) expect(cliProblems.map((p) => p.file)).toContain(c.file);
    } finally {
      await person.cleanup();
    }
  });
});

describe('the CLI', () => {
  it('a representative subset exits 2 with a message saying what to fix', async () => {
    const pick = <T extends Str>(list: T[], n: number) =>
      list
        .filter((v) => !v.value.includes('\u0000') && v.value !== '')
        .filter((_, i, a) => i % Math.ceil(a.length / n) === 0);
    const cases: Array<{ args: string[]; stdin?: string; expect: RegExp }> = [];
    for (const { value } of pick(refs, 8)) {
      cases.push({
        args: [
          'report-image',
          '--image',
          value,
          '--registry-integration',
          'corpus-existing',
          '--no-local-git',
        ],
        expect: /image reference|image/i,
      });
    }
    for (const { value } of pick(regions, 3)) {
      cases.push({
        args: [
          'integration',
          'add',
          'ecr',
          'cli-x',
          '--region',
          value,
          '--role-arn',
          ROLE,
          '--runtime',
          'local',
        ],
        expect: /region/i,
      });
    }
    for (const { value } of pick(arns, 3)) {
      cases.push({
        args: [
          'integration',
          'add',
          'ecr',
          'cli-x',
          '--region',
          'us-east-1',
          '--role-arn',
          value,
          '--runtime',
          'local',
        ],
        expect: /role/i,
      });
    }
    for (const { value } of pick(names, 3)) {
      // A name starting with "-" is taken for an option by the parser: also exit 2, saying so.
      cases.push({
        args: [
          'integration',
          'add',
          'ecr',
          value,
          '--region',
          'us-east-1',
          '--role-arn',
          ROLE,
          '--runtime',
          'local',
        ],
        expect: /name|lowercase|unknown option/i,
      });
      cases.push({
        args: ['runtime', 'add', value, '--type', 'hybrid', '--version', '0.2.0'],
        expect: /name|lowercase|unknown option/i,
      });
    }
    for (const { value } of pick(urls, 3)) {
      cases.push({
        args: [
          'integration',
          'add',
          'github',
          'cli-gh',
          '--api-url',
          value,
          '--token-stdin',
          '--all-runtimes',
        ],
        stdin: 'corpus-token',
        expect: /api-?url|URL/i,
      });
    }
    cases.push({ args: ['token', 'create', 'x', '--scope', 'root'], expect: /scope/i });
    cases.push({
      args: ['integration', 'delete', 'corpus-existing', '--confirm', 'delete'],
      expect: /DELETE/,
    });
    cases.push({
      args: ['runtime', 'add', 'rt', '--type', 'spaceship', '--version', '0.2.0'],
      expect: /type|hybrid/i,
    });
    const failures: string[] = [];
    for (const c of cases) {
      const r = await cli(server, c.args, c.stdin === undefined ? {} : { stdin: c.stdin });
      if (r.code !== 2 || !c.expect.test(r.stderr) || /at .*\.js:\d+/.test(r.stderr)) {
        failures.push(`${JSON.stringify(c.args)} → exit ${r.code}: ${r.stderr.slice(0, 300)}`);
      }
    }
    expect(failures, failures.join('\n')).toEqual([]);
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });
});
