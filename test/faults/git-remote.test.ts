import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { api, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { hostileRemote, type HostileRemote } from './helpers/hostile-remote.js';
import { mapLimit } from './helpers/common.js';

const exec = promisify(execFile);

// The shared configuration repository's remote declines pushes (a pre-receive hook rejecting the next N)
// and moves underneath imagetrail (the same hook has another clone push first, so the branch changed
// between imagetrail's fetch and its push), while a third writer pushes its own commits in a loop and
// integrations are added and edited concurrently through the API. Clients retry a refused change (503 or
// 409, never a 500), as the dashboard or a script would. Then: every change is in the remote (file
// contents checked), every writer and mover commit is still there, and the remote's history only grew:
// each branch update is a fast-forward and every earlier head is an ancestor of the final one.

const INTEGRATIONS = 6;
const EDITS = 2;
const REJECTS = 4;
const MOVES = 6;
const FOLDER = 'resources/all-runtimes-all-clusters';

let remote: HostileRemote;
let server: ServerHandle;
let writerDir: string;

const WRITER_ENV = {
  ...process.env,
  IT_WRITER: '1',
  GIT_AUTHOR_NAME: 'writer',
  GIT_AUTHOR_EMAIL: 'writer@localhost',
  GIT_COMMITTER_NAME: 'writer',
  GIT_COMMITTER_EMAIL: 'writer@localhost',
};
const wgit = (...args: string[]) => exec('git', args, { cwd: join(writerDir, 'repo'), env: WRITER_ENV });

beforeAll(async () => {
  remote = await hostileRemote();
  server = await startImagetrail({ configRepo: remote.url });
  writerDir = await mkdtemp(join(tmpdir(), 'imagetrail-writer-'));
  await exec('git', ['clone', '-q', remote.url, join(writerDir, 'repo')], { env: WRITER_ENV });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await remote?.cleanup();
  if (writerDir) await rm(writerDir, { recursive: true, force: true });
});

function integrationBody(i: number) {
  return {
    name: `gitfault-${i}`,
    type: 'registry.ecr',
    description: `created-${i}`,
    sharing: { allRuntimes: true },
    ecr: {
      region: 'us-east-1',
      auth: { mode: 'iamRole', roleArn: `arn:aws:iam::123456789012:role/gitfault-${i}` },
    },
    skipTest: true,
  };
}

interface Outcome {
  tries: number;
  statuses: number[];
}
/** The refusals clients saw (status: message), for the report. */
const refusals: string[] = [];

/** Sends one change until it is accepted; 503 (remote declined) and 409 (kept moving) are retried. */
async function untilAccepted(
  method: string,
  path: string,
  body: unknown,
  ok: number[],
  alreadyDone?: (r: { status: number; json: any }) => boolean,
): Promise<Outcome> {
  const statuses: number[] = [];
  for (let tries = 1; tries <= 25; tries++) {
    const r = await api(server, method, path, body);
    statuses.push(r.status);
    if (ok.includes(r.status)) return { tries, statuses };
    if (tries > 1 && alreadyDone?.(r)) return { tries, statuses };
    refusals.push(`${method} ${r.status}: ${String(r.json?.error?.message).slice(0, 160)}`);
    if (r.status !== 503 && r.status !== 409)
      throw new Error(`${method} ${path}: unexpected ${r.status} ${r.text}`);
    expect(r.json?.error?.message, r.text).toEqual(expect.stringMatching(/\S/));
    await sleep(200 + Math.floor(Math.random() * 300));
  }
  throw new Error(`${method} ${path}: not accepted after 25 tries: ${statuses.join(',')}`);
}

describe('a hostile shared configuration remote', () => {
  it('lands every concurrent change, loses none, and is never force-pushed', async () => {
    const headsSeen = new Set<string>([await remote.head()]);
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        headsSeen.add(await remote.head());
        await sleep(25);
      }
    })();

    // A third writer pushing its own commits to notes/writer.txt in a loop.
    let writing = true;
    let writerPushed = 0;
    const writer = (async () => {
      await mkdir(join(writerDir, 'repo', 'notes'), { recursive: true });
      while (writing) {
        await wgit('pull', '-q', '--rebase', 'origin', 'main');
        await appendFile(join(writerDir, 'repo', 'notes', 'writer.txt'), `w${writerPushed + 1}\n`);
        await wgit('add', 'notes/writer.txt');
        await wgit('commit', '-q', '-m', `writer ${writerPushed + 1}`);
        try {
          await wgit('push', '-q', 'origin', 'HEAD:main');
          writerPushed++;
        } catch {
          await wgit('reset', '-q', '--hard', 'HEAD~1');
        }
        await sleep(100);
      }
    })();

    await remote.setRejects(REJECTS);
    await remote.setMoves(MOVES);
    const outcomes: Outcome[] = [];
    const names = Array.from({ length: INTEGRATIONS }, (_, i) => i);
    await mapLimit(names, INTEGRATIONS, async (i) => {
      outcomes.push(
        await untilAccepted(
          'POST',
          '/api/v1/integrations',
          integrationBody(i),
          [201],
          (r) => r.status === 409 && /exist/i.test(r.json?.error?.message ?? ''),
        ),
      );
    });
    for (let e = 1; e <= EDITS; e++) {
      if (e === EDITS) await remote.setRejects(REJECTS); // a second round of declines during the edits
      await mapLimit(names, INTEGRATIONS, async (i) => {
        outcomes.push(
          await untilAccepted(
            'PATCH',
            `/api/v1/integrations/gitfault-${i}`,
            { description: `edit-${e}-of-${i}`, skipTest: true },
            [200],
          ),
        );
      });
    }
    writing = false;
    await writer;
    watching = false;
    await watcher;
    headsSeen.add(await remote.head());

    // Every change is in the remote, with its last content.
    const check = await mkdtemp(join(tmpdir(), 'imagetrail-check-'));
    try {
      await exec('git', ['clone', '-q', remote.url, join(check, 'repo')]);
      for (const i of names) {
        const doc = parseYaml(await readFile(join(check, 'repo', FOLDER, `gitfault-${i}.yaml`), 'utf8'));
        expect(JSON.stringify(doc), `gitfault-${i}`).toContain(`edit-${EDITS}-of-${i}`);
        expect(JSON.stringify(doc)).toContain(`role/gitfault-${i}`);
      }
      const writerLines = (await readFile(join(check, 'repo', 'notes', 'writer.txt'), 'utf8'))
        .trim()
        .split('\n');
      expect(writerLines).toEqual(Array.from({ length: writerPushed }, (_, k) => `w${k + 1}`));
      const moved = await remote.moved();
      const moverLines = (await readFile(join(check, 'repo', 'notes', 'mover.txt'), 'utf8').catch(() => ''))
        .trim()
        .split('\n')
        .filter(Boolean);
      expect(moverLines).toHaveLength(moved);
      expect(moved, 'the branch was moved underneath imagetrail').toBeGreaterThan(0);
      expect(await remote.rejected(), 'pushes were declined').toBeGreaterThanOrEqual(REJECTS);

      // History only grew: every update a fast-forward, every head ever seen an ancestor of the last.
      const final = await remote.head();
      const updates = await remote.updates();
      for (const [oldOid, newOid] of updates) {
        if (/^0+$/.test(oldOid)) continue; // branch creation
        expect(await remote.isAncestor(oldOid, newOid), `${oldOid} → ${newOid} is a fast-forward`).toBe(true);
      }
      for (const h of headsSeen)
        expect(await remote.isAncestor(h, final), `${h} is an ancestor of ${final}`).toBe(true);
      for (const [, n] of updates)
        expect(await remote.isAncestor(n, final), `${n} is an ancestor of ${final}`).toBe(true);

      const retries = outcomes.filter((o) => o.tries > 1);
      const statusCounts: Record<number, number> = {};
      for (const o of outcomes) for (const st of o.statuses) statusCounts[st] = (statusCounts[st] ?? 0) + 1;
      expect(statusCounts[500] ?? 0).toBe(0);
      console.log(
        `[git-remote] ${outcomes.length} changes landed; ${retries.length} needed a client retry; statuses ${JSON.stringify(statusCounts)}; ` +
          `declined pushes ${await remote.rejected()}, moves underneath ${moved}, writer commits ${writerPushed}, ` +
          `branch updates ${updates.length}, heads observed ${headsSeen.size}\n  refusals: ${[...new Set(refusals)].join('\n            ')}`,
      );
    } finally {
      await rm(check, { recursive: true, force: true });
    }
  }, 600_000); // alone ≈ 80 s; room for a loaded 2-core machine (not a speed check: see bench/)
});
