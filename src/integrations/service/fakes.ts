import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import { InputError } from '../../domain/errors.js';
import { KeyStore } from '../../config-repo/keys.js';
import { classifyPath } from '../../config-repo/layout.js';
import { generateIdentity, type AgeKeyPair } from '../../config-repo/sealing.js';
import type { ConfigSnapshot, FileState } from '../../config-repo/snapshot.js';
import { validateFile } from '../../config-repo/validate.js';
import type { ConfigTx, LastCommit, MutationResult } from '../../config-repo/workspace.js';
import { createLogger } from '../../logging/logger.js';
import { Redactor } from '../../logging/redactor.js';
import { FakeAuditStore } from '../../store/fake-audit-store.js';
import type { EcrConnectionInput, EcrTestResult, ProbeCheck } from '../registry/ecr/index.js';
import type { GitHubConnectionInput } from '../github/probe.js';
import type { JiraConnectionInput } from '../jira/probe.js';
import type { RecipientSource } from '../recipients.js';
import type { ExecutableCheck, IntegrationExecutor } from '../types/executor.js';
import type { Runtime } from '../types/handler.js';
import type { IntegrationCheck, IntegrationTestResult } from '../types/index.js';
import type { IntegrationRepo, IntegrationServiceDeps } from './types.js';
import type { IntegrationType } from '../../config-repo/kinds/integration-v1alpha1.js';
import { handlerFor } from '../types/index.js';
import { createIntegration } from './create.js';

/**
 * Test support for the service's unit tests (`*.test.ts` here): in-memory twins of the configuration
 * repository and of the executor, typed against the interfaces the service uses, so they cannot drift.
 * The real peers (git, age, moto, fake GitHub/Jira servers) are exercised by test/e2e and test/config-repo.
 */

interface FakeCommit extends LastCommit {
  changed: string[];
}

/**
 * The configuration repository as a map of files. Each `mutate` is a transaction on a copy: it lands as one
 * commit, or (when the callback throws, or the result is invalid) changes nothing. Snapshots are read with
 * the real validator and layout, as a sync would read them.
 */
export class FakeConfigRepo implements IntegrationRepo {
  readonly commits: FakeCommit[] = [];
  /** Runs at the start of the next `mutate`, before its callback: another writer landing first. */
  beforeNextMutate: (() => void | Promise<void>) | undefined;
  private files = new Map<string, string>();
  /** Files another replica has pushed, seen only after `sync`. */
  private readonly upstream = new Map<string, string>();
  private snap: ConfigSnapshot = load(this.files, null);

  /** A file as it is in the repository now. */
  text(rel: string): string | undefined {
    return this.files.get(rel);
  }

  paths(): string[] {
    return [...this.files.keys()].sort();
  }

  /** Writes files directly, as one commit by someone else (test setup, a concurrent writer). */
  put(files: Record<string, string | undefined>, message = 'setup'): void {
    for (const [rel, text] of Object.entries(files)) {
      if (text === undefined) this.files.delete(rel);
      else this.files.set(rel, text);
    }
    this.land(message, Object.keys(files));
  }

  /** A commit pushed by another replica: invisible until `sync`. */
  pushElsewhere(rel: string, text: string): void {
    this.upstream.set(rel, text);
  }

  snapshot(): ConfigSnapshot {
    return this.snap;
  }

  sync(): Promise<ConfigSnapshot> {
    if (this.upstream.size > 0) {
      this.put(Object.fromEntries(this.upstream), 'pushed elsewhere');
      this.upstream.clear();
    }
    return Promise.resolve(this.snap);
  }

  async mutate<T>(message: string, fn: (tx: ConfigTx) => Promise<T>): Promise<MutationResult<T>> {
    const hook = this.beforeNextMutate;
    this.beforeNextMutate = undefined;
    await hook?.();
    const staged = new Map(this.files);
    const result = await fn(txOver(staged));
    const changed = [...new Set([...staged.keys(), ...this.files.keys()])].filter(
      (rel) => staged.get(rel) !== this.files.get(rel),
    );
    if (changed.length === 0) return { result, commit: null };
    assertValid(staged, changed);
    this.files = staged;
    return { result, commit: this.land(message, changed) };
  }

  lastCommit(files: readonly string[]): Promise<LastCommit | null> {
    const c = [...this.commits].reverse().find((x) => x.changed.some((f) => files.includes(f)));
    return Promise.resolve(c ? { sha: c.sha, subject: c.subject, time: c.time } : null);
  }

  async lastCommits(groups: ReadonlyArray<readonly string[]>): Promise<Array<LastCommit | null>> {
    return Promise.all(groups.map((g) => this.lastCommit(g)));
  }

  private land(subject: string, changed: string[]): string {
    const sha = (this.commits.length + 1).toString(16).padStart(40, '0');
    this.commits.push({ sha, subject, time: new Date(0).toISOString(), changed });
    this.snap = load(this.files, sha);
    return sha;
  }
}

function txOver(files: Map<string, string>): ConfigTx {
  return {
    read: (rel) => Promise.resolve(files.get(rel)),
    write: (rel, text) => Promise.resolve(void files.set(rel, text)),
    remove: (rel) => Promise.resolve(void files.delete(rel)),
    list: (dir) => {
      const prefix = dir ? `${dir}/` : '';
      const names = [...files.keys()]
        .filter((p) => p.startsWith(prefix))
        .map((p) => p.slice(prefix.length).split('/')[0]!);
      return Promise.resolve([...new Set(names)].sort());
    },
    exists: (rel) => Promise.resolve(files.has(rel)),
  };
}

/** As the real repository refuses a change that leaves invalid configuration. */
function assertValid(files: Map<string, string>, changed: string[]): void {
  const errors = changed.flatMap((rel) => {
    const text = files.get(rel);
    return text === undefined ? [] : validateFile(rel, text).problems.filter((p) => p.severity === 'error');
  });
  if (errors.length > 0) {
    throw new InputError('the change would leave invalid configuration; nothing was committed', {
      details: errors.map((p) => ({ path: p.path, message: `${p.file}: ${p.message}` })),
    });
  }
}

function load(files: Map<string, string>, commit: string | null): ConfigSnapshot {
  const snap: ConfigSnapshot = {
    commit,
    runtimes: new Map(),
    integrations: [],
    problems: [],
    files: new Map(),
  };
  for (const rel of [...files.keys()].sort()) {
    const v = validateFile(rel, files.get(rel)!);
    snap.problems.push(...v.problems);
    if (!v.resource) continue;
    const state: FileState = { resource: v.resource, validAt: commit };
    snap.files.set(rel, state);
    const role = classifyPath(rel);
    const r = v.resource;
    if (role.role === 'runtime' && r.kind === 'Runtime') snap.runtimes.set(role.runtime, r);
    else if (role.role === 'integration' && r.kind === 'Integration') {
      snap.integrations.push({ name: role.name, placement: role.placement, file: rel, resource: r });
    }
  }
  return snap;
}

/** One connection test the fake executor was asked to run, with the settings it was given (secrets in clear). */
export interface ExecutedTest {
  type: 'ecr' | 'github' | 'jira';
  runtime: string;
  input: EcrConnectionInput | GitHubConnectionInput | JiraConnectionInput;
}

/**
 * The place tests run, in memory: records each test with its input and answers with `outcome` (a pass by
 * default). Runtimes listed in `elsewhere` do not run in this server (`canExecute` says why).
 */
export class FakeExecutor implements IntegrationExecutor {
  readonly tests: ExecutedTest[] = [];
  readonly elsewhere = new Map<string, string>();
  outcome: { ok: true } | { ok: false; message: string; hints?: string[] } = { ok: true };

  constructor(readonly localRuntime = 'local') {}

  canExecute(runtime: Runtime): ExecutableCheck {
    const reason = this.elsewhere.get(runtime.metadata.name);
    return reason ? { ok: false, reason } : { ok: true };
  }

  testEcr(
    runtime: Runtime,
    input: EcrConnectionInput,
    onCheck?: (c: ProbeCheck) => void,
  ): Promise<EcrTestResult> {
    const check: ProbeCheck = { ...this.check(), name: 'region', durationMs: 1 };
    return Promise.resolve(this.run('ecr', runtime, input, check, onCheck));
  }

  testGitHub(
    runtime: Runtime,
    input: GitHubConnectionInput,
    onCheck?: (c: IntegrationCheck) => void,
  ): Promise<IntegrationTestResult> {
    return Promise.resolve(this.run('github', runtime, input, { ...this.check(), name: 'user' }, onCheck));
  }

  testJira(
    runtime: Runtime,
    input: JiraConnectionInput,
    onCheck?: (c: IntegrationCheck) => void,
  ): Promise<IntegrationTestResult> {
    return Promise.resolve(this.run('jira', runtime, input, { ...this.check(), name: 'myself' }, onCheck));
  }

  private check(): { ok: boolean; message: string; hints?: string[] } {
    const o = this.outcome;
    return o.ok
      ? { ok: true, message: 'fine' }
      : { ok: false, message: o.message, ...(o.hints ? { hints: o.hints } : {}) };
  }

  private run<C extends IntegrationCheck>(
    type: ExecutedTest['type'],
    runtime: Runtime,
    input: ExecutedTest['input'],
    check: C,
    onCheck?: (c: C) => void,
  ) {
    this.tests.push({ type, runtime: runtime.metadata.name, input: structuredClone(input) });
    onCheck?.(check);
    return {
      ok: check.ok,
      runtime: { name: runtime.metadata.name, type: runtime.spec.type },
      checks: [check],
    };
  }
}

/** A runtime resource file as `runtimes/<name>/runtime.yaml` holds it. */
export function runtimeYaml(
  name: string,
  type: 'hybrid' | 'hosted',
  version: string,
  recipient: string,
): string {
  return stringify({
    apiVersion: 'imagetrail.dev/v1alpha1',
    kind: 'Runtime',
    metadata: { name },
    spec: { type, version, recipient },
  });
}

export interface ServiceHarness {
  deps: IntegrationServiceDeps;
  repo: FakeConfigRepo;
  executor: FakeExecutor;
  audit: FakeAuditStore;
  redactor: Redactor;
  /** Everything logged, one JSON line each. */
  logs: string[];
  controlPlane: AgeKeyPair;
  /** Adds `runtimes/<name>/runtime.yaml` with a fresh key pinned outside Git. */
  addRuntime(name: string, type: 'hybrid' | 'hosted', version?: string): Promise<AgeKeyPair>;
  /** Stores an integration as setup (no connection test), shared with all runtimes unless told. */
  store(name: string, type: IntegrationType, settings: object, sharing?: object): Promise<void>;
}

/**
 * The service's dependencies with the fakes, real sealing (age, in process) and a real redactor; `runtimes`
 * are added first (`addRuntime`), in order.
 */
export async function serviceHarness(
  runtimes: Record<string, 'hybrid' | 'hosted'> = {},
): Promise<ServiceHarness> {
  const controlPlane = await generateIdentity();
  const pinned = new Map<string, string>();
  const pins: RecipientSource = {
    controlPlane: () => controlPlane.recipient,
    runtime: (name) => pinned.get(name),
  };
  const redactor = new Redactor();
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const repo = new FakeConfigRepo();
  const executor = new FakeExecutor();
  const audit = new FakeAuditStore();
  const deps: IntegrationServiceDeps = {
    repo,
    keys: new KeyStore('/nonexistent', new Map([['control-plane', controlPlane]])),
    executor,
    redactor,
    logger: createLogger(redactor, { level: 'info', destination }),
    pins,
    audit,
  };
  const addRuntime = async (name: string, type: 'hybrid' | 'hosted', version = '0.2.0') => {
    const pair = await generateIdentity();
    pinned.set(name, pair.recipient);
    repo.put({ [`runtimes/${name}/runtime.yaml`]: runtimeYaml(name, type, version, pair.recipient) });
    return pair;
  };
  for (const [name, type] of Object.entries(runtimes)) await addRuntime(name, type);
  const store = async (name: string, type: IntegrationType, settings: object, sharing?: object) => {
    const section = handlerFor(type).section;
    const body = {
      name,
      type,
      sharing: sharing ?? { allRuntimes: true },
      [section]: settings,
      skipTest: true,
    };
    await createIntegration(deps, body, ADMIN);
  };
  return { deps, repo, executor, audit, redactor, logs, controlPlane, addRuntime, store };
}

/** Settings of each type as a caller sends them, secrets in clear. */
export const SAMPLE = {
  ecrKey: {
    region: 'eu-west-1',
    auth: { mode: 'accessKey', accessKeyId: 'AKIAABCDEFGHIJKLMNOP', secretAccessKey: 'ecr-secret-key-one' },
  },
  ecrRole: {
    region: 'eu-west-1',
    auth: { mode: 'iamRole', roleArn: 'arn:aws:iam::123456789012:role/reader' },
  },
  github: { apiUrl: 'https://ghe.example/api/v3', token: 'ghp_token_number_one' },
  jira: {
    baseUrl: 'https://site.atlassian.net',
    auth: { kind: 'cloud', email: 'a@example.com', apiToken: 'jira-token-number-one' },
  },
} as const;

export const ADMIN = { id: 'tok_admin', name: 'admin' };
