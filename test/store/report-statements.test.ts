import { Writable } from 'node:stream';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_PROTOCOL } from '../../src/contract/agent-protocol.js';
import type { ImageReportInput, PipelineResult } from '../../src/contract/images.js';
import { ReportRunner } from '../../src/enrichment/runner.js';
import { ReportService } from '../../src/enrichment/report-service.js';
import type { PipelineJob } from '../../src/enrichment/pipeline.js';
import { createLogger } from '../../src/logging/logger.js';
import { Redactor } from '../../src/logging/redactor.js';
import { AgentDispatch } from '../../src/runtimes/agent-dispatch.js';
import { AgentTasks } from '../../src/runtimes/agent-tasks.js';
import { createNotifier, type Notifier } from '../../src/store/notify.js';
import type { Database } from '../../src/store/schema.js';
import { SqlAgentStore } from '../../src/store/sql-agent-store.js';
import { SqlAgentTaskStore } from '../../src/store/sql-agent-task-store.js';
import { SqlImageStore } from '../../src/store/sql-image-store.js';
import { SqlReportStore } from '../../src/store/sql-report-store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { digest, enrichmentRecord } from '../helpers/enrichment-record.js';
import { intakeSnapshot } from '../helpers/intake-snapshot.js';

// What one report costs the control plane on PostgreSQL, in statements sent (BEGIN and COMMIT count: each
// is a round trip and a writev, and docs/benchmarks.md found the control plane's CPU follows them). The
// real components on a counting connection: intake, the in-process runner, an agent's claim and completion.
// The token check of each HTTP request (one SELECT) is outside these counts.

const HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const DIGEST = digest('b');
const ADMIN = { id: 'tok_admin', name: 'admin', scopes: ['admin' as const] };

let database: TestDatabase;
let pool: pg.Pool;
let db: Kysely<Database>;
let notifier: Notifier;
const sent: string[] = [];

const snapshot = () => intakeSnapshot(['local', 'edge']);

const result = (job: { id: string; runtime: string }): PipelineResult =>
  enrichmentRecord({ reportId: job.id, runtime: job.runtime }, { digest: DIGEST });

/** The statements `fn` sends; `settle` lets fire-and-forget writes (notifications) land first. */
async function counted<T>(fn: () => Promise<T>): Promise<{ value: T; statements: string[] }> {
  const from = sent.length;
  const value = await fn();
  await new Promise((r) => setTimeout(r, 150));
  return { value, statements: sent.slice(from) };
}

const report = (n: number): ImageReportInput => ({
  image: `${HOST}/team/app:1.0`,
  workflow: { name: 'ci', url: `https://ci.example/runs/${n}` },
});

beforeAll(async () => {
  database = await createTestDatabase('postgres');
  pool = new pg.Pool({ connectionString: database.url, max: 4 });
  // The database is dropped WITH (FORCE) at the end: an idle client ended by it is no test failure.
  pool.on('error', () => undefined);
  db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (e) => void sent.push(e.query.sql),
  });
  notifier = createNotifier({ db, databaseUrl: database.url });
}, 60_000);

afterAll(async () => {
  await notifier?.close();
  await db?.destroy();
  await database?.destroy();
});

describe('statements per report on PostgreSQL', () => {
  it('intake, in-process enrichment, agent claim and completion each stay within their budget', async () => {
    // The store's clock stands still: a claim that finds nothing sweeps expired last attempts at most once
    // a second (of this clock), a cost per second, not per report, kept out of the counts.
    const t0 = new Date();
    const reports = new SqlReportStore({
      db,
      now: () => t0,
      dialect: 'postgres',
    });
    const images = new SqlImageStore({ db, dialect: 'postgres' });
    const redactor = new Redactor();
    const logger = createLogger(redactor, { destination: new Writable({ write: (_c, _e, cb) => cb() }) });
    const runner = new ReportRunner({
      reports,
      images,
      redactor,
      logger,
      concurrency: 4,
      // Long enough that only a notification starts work: every statement counted is caused by the report.
      pollMs: 600_000,
      runtimes: () => ['local'],
      pipeline: {
        run: (job: PipelineJob, step) => {
          for (const name of ['registry', 'git', 'issues']) step(name, 'ok', `${name} done`);
          return Promise.resolve(result(job));
        },
      },
    });
    const tasks = new AgentTasks({
      tasks: new SqlAgentTaskStore({ db }),
      repo: { snapshot },
      pins: { runtime: () => undefined } as never,
      executor: { canExecute: () => ({ ok: false }) } as never,
      redactor,
      agentsOf: () => Promise.resolve([]),
      wake: () => undefined,
    });
    const dispatch = new AgentDispatch({
      repo: { snapshot },
      reports,
      images,
      agents: new SqlAgentStore({ db }),
      redactor,
      // As the runner's: only a wake-up makes a claim look for tasks (none is queued here).
      pollMs: 600_000,
      claimTask: (runtime, agentId) => tasks.claimFor(runtime, agentId),
    });
    const service = new ReportService({
      reports,
      repo: { snapshot },
      localRuntime: 'local',
      handoff: (runtime) => dispatch.offer(runtime),
      onAccepted: ({ runtime, handedOver }) => {
        if (handedOver) return;
        runner.notify(runtime);
        dispatch.notify(runtime);
        notifier.publish('reports', runtime);
      },
    });
    const done = async (id: string) => {
      for (let i = 0; i < 400; i++) {
        const r = await database.db
          .selectFrom('image_reports')
          .select('status')
          .where('id', '=', id)
          .executeTakeFirst();
        if (r?.status === 'succeeded') return;
        await new Promise((res) => setTimeout(res, 25));
      }
      throw new Error(`report ${id} did not succeed: ${JSON.stringify(await reports.get(id))}`);
    };

    // Recording a known image's enrichment (tags and platforms, no referrers, Git or issues): one statement, no
    // BEGIN/COMMIT (sql-image-record-pg.ts).
    await images.recordEnrichment(result({ id: 'rep_seed', runtime: 'local' }));
    const record = await counted(() =>
      images.recordEnrichment(result({ id: 'rep_seed2', runtime: 'local' })),
    );
    expect.soft(record.statements, record.statements.join('\n')).toHaveLength(1);

    runner.start();
    try {
      // In-process: a first report warms up (the image exists from here on), the second is counted from
      // intake to its end: the intake, the claim, one more look by the next idle worker (a claimed job may
      // have company), the recording, the completion with its steps, and the other replicas' notification (a
      // transaction with no write, one per burst rather than per report under load).
      await done((await service.accept(report(1), ADMIN)).id);
      const local = await counted(async () => done((await service.accept(report(2), ADMIN)).id));
      expect.soft(local.statements.length, local.statements.join('\n')).toBeLessThanOrEqual(6);

      // An agent: claim (its first claim registers it as seen; the second is counted), then completion.
      const claimOf = (waitMs: number) => ({
        protocol: AGENT_PROTOCOL,
        runtime: 'edge',
        agentId: 'agent-1',
        version: '0.2.0',
        waitMs,
      });
      await dispatch.claim(ADMIN, claimOf(0));
      // Nobody here runs `edge`: the intake alone, its INSERT and the notification.
      const intake = await counted(() => service.accept({ ...report(3), runtime: 'edge' }, ADMIN));
      expect.soft(intake.statements, intake.statements.join('\n')).toHaveLength(2);
      const queued = intake.value;
      const claim = await counted(() => dispatch.claim(ADMIN, claimOf(0)));
      const job = claim.value.jobs[0];
      expect(job?.id).toBe(queued.id);
      // The report's claim only: its look for tasks found none before, and no task was queued since.
      expect.soft(claim.statements, claim.statements.join('\n')).toHaveLength(1);
      if (job?.kind !== 'report') throw new Error('expected a report job');
      const steps = ['registry', 'git', 'issues'].map((name) => ({
        name,
        status: 'ok' as const,
        at: new Date().toISOString(),
      }));
      const complete = await counted(() =>
        dispatch.complete(ADMIN, job.id, {
          protocol: AGENT_PROTOCOL,
          leaseId: job.leaseId,
          attempt: job.attempt,
          steps,
          outcome: { ok: true, result: result(job) },
        }),
      );
      expect(complete.value.status).toBe('recorded');
      // The lease was handed out here, so the job is not read back: the recording, with "succeeded" in
      // its statement, is the completion's one statement.
      expect.soft(complete.statements, complete.statements.join('\n')).toHaveLength(1);
      // The steps the agent sent are on the report, recorded with its completion.
      expect((await reports.get(job.id))?.steps.map((s) => s.name)).toEqual(['registry', 'git', 'issues']);

      // A report accepted while an agent's claim waits here is written leased to it and handed over: its
      // INSERT is the only statement from intake to the agent's answer (no claim, no notification).
      const waiting = dispatch.claim(ADMIN, claimOf(20_000));
      await new Promise((r) => setTimeout(r, 200)); // its look found nothing; it waits now
      const handed = await counted(async () => {
        const accepted = await service.accept({ ...report(4), runtime: 'edge' }, ADMIN);
        return { accepted, answer: await waiting };
      });
      const handedJob = handed.value.answer.jobs[0];
      expect(handedJob?.id).toBe(handed.value.accepted.id);
      expect(handed.value.accepted.report.status).toBe('running');
      expect.soft(handed.statements, handed.statements.join('\n')).toHaveLength(1);
      if (handedJob?.kind !== 'report') throw new Error('expected a report job');
      expect(handedJob.attempt).toBe(1);
      expect(await reports.holder(handedJob.id)).toMatchObject({
        owner: handedJob.leaseId,
        status: 'running',
      });
    } finally {
      await runner.stop();
    }
  }, 60_000);
});
