import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { z } from 'zod';
import { ApiError, request, streamChecks } from '../api/client.js';
import {
  IntegrationView,
  MutationResult,
  RuntimeList,
  TestResult,
  type AuthMode,
  type Check,
  type EcrView,
  type RuntimeView,
} from '../api/schemas.js';
import { useNotice } from '../app.js';
import { RunPanel, type RunState } from '../components/checks.js';
import { DeleteDialog } from '../components/delete-dialog.js';
import { ErrorBox, Field, Loading, PageTitle, useLoad } from '../components/ui.js';
import { Link } from '../router.js';
import { Availability } from './integrations.js';
import {
  AccessKeyId,
  AwsRegion,
  EndpointUrl,
  ExternalId,
  IamRoleArn,
  ResourceName,
  RoleSessionName,
} from '../../../src/domain/names.js';
import { compareSemver } from '../../../src/domain/semver.js';
import { ACCESS_KEY_MIN_RUNTIME_VERSION } from '../../../src/config-repo/kinds/integration-v1alpha1.js';

/** How long the dashboard waits for a test or commit to end before it stops and says so. */
export const RUN_TIMEOUT_MS = 60_000;

interface FormState {
  name: string;
  description: string;
  region: string;
  mode: AuthMode;
  roleArn: string;
  externalId: string;
  sessionName: string;
  durationSeconds: string;
  accessKeyId: string;
  secretAccessKey: string;
  shareAll: boolean;
  runtimes: string[];
  endpointApi: string;
  endpointSts: string;
  endpointRegistry: string;
  skipTest: boolean;
  testRuntime: string;
}

type FieldKey = Exclude<keyof FormState, 'mode' | 'shareAll' | 'skipTest'>;
type Errors = Partial<Record<FieldKey, string>>;

const EMPTY: FormState = {
  name: '',
  description: '',
  region: '',
  mode: 'accessKey',
  roleArn: '',
  externalId: '',
  sessionName: '',
  durationSeconds: '',
  accessKeyId: '',
  secretAccessKey: '',
  shareAll: true,
  runtimes: [],
  endpointApi: '',
  endpointSts: '',
  endpointRegistry: '',
  skipTest: false,
  testRuntime: '',
};

/** Field order: the first field with an error takes focus. */
const FIELD_ORDER: FieldKey[] = [
  'name',
  'description',
  'region',
  'roleArn',
  'externalId',
  'sessionName',
  'durationSeconds',
  'accessKeyId',
  'secretAccessKey',
  'runtimes',
  'endpointApi',
  'endpointSts',
  'endpointRegistry',
  'testRuntime',
];

/** Server `details[].path` → the form field that shows it. */
export function fieldOfPath(path: string): FieldKey | undefined {
  const map: Record<string, FieldKey> = {
    name: 'name',
    description: 'description',
    'ecr.region': 'region',
    'ecr.auth.roleArn': 'roleArn',
    'ecr.auth.externalId': 'externalId',
    'ecr.auth.sessionName': 'sessionName',
    'ecr.auth.durationSeconds': 'durationSeconds',
    'ecr.auth.accessKeyId': 'accessKeyId',
    'ecr.auth.secretAccessKey': 'secretAccessKey',
    'ecr.endpoints.api': 'endpointApi',
    'ecr.endpoints.sts': 'endpointSts',
    'ecr.endpoints.registry': 'endpointRegistry',
    testRuntime: 'testRuntime',
    runtime: 'testRuntime',
  };
  if (map[path]) return map[path];
  if (path === 'sharing' || path.startsWith('sharing.')) return 'runtimes';
  return undefined;
}

function fromView(v: IntegrationView & { ecr: EcrView }): FormState {
  return {
    ...EMPTY,
    name: v.name,
    description: v.description ?? '',
    region: v.ecr.region,
    mode: v.ecr.mode,
    roleArn: v.ecr.roleArn ?? '',
    externalId: v.ecr.externalId ?? '',
    sessionName: v.ecr.sessionName ?? '',
    durationSeconds: v.ecr.durationSeconds !== undefined ? String(v.ecr.durationSeconds) : '',
    accessKeyId: v.ecr.accessKeyId ?? '',
    shareAll: 'allRuntimes' in v.sharing,
    runtimes: 'runtimes' in v.sharing ? v.sharing.runtimes : [],
    endpointApi: v.ecr.endpoints?.api ?? '',
    endpointSts: v.ecr.endpoints?.sts ?? '',
    endpointRegistry: v.ecr.endpoints?.registry ?? '',
  };
}

function firstIssue(schema: z.ZodType, value: string): string | undefined {
  const r = schema.safeParse(value);
  return r.success ? undefined : r.error.issues[0]?.message;
}

/** Why a runtime cannot use an integration of this mode (spec rules 2 and 3), or undefined. */
export function ruleViolation(
  mode: AuthMode,
  rt: Pick<RuntimeView, 'name' | 'type' | 'version'>,
): string | undefined {
  if (mode === 'iamRole' && rt.type === 'hosted') {
    return `Runtime “${rt.name}” is hosted: hosted runtimes have no cloud identity to assume an IAM role from. Use an access key, or share with hybrid runtimes only.`;
  }
  if (mode === 'accessKey') {
    let older: boolean;
    try {
      older = compareSemver(rt.version, ACCESS_KEY_MIN_RUNTIME_VERSION) < 0;
    } catch {
      older = false; // not a version we can compare: the server decides
    }
    if (older) {
      return `Runtime “${rt.name}” runs ${rt.version}: access keys need runtime ${ACCESS_KEY_MIN_RUNTIME_VERSION} or later. Upgrade it, or use an IAM role.`;
    }
  }
  return undefined;
}

interface Ctx {
  editing: boolean;
  /** The stored integration has a secret in this mode (edit, access-key mode unchanged). */
  secretStored: boolean;
  runtimes: RuntimeView[];
}

/** The spec's rules and each field's format, checked before anything is sent. */
export function validate(f: FormState, ctx: Ctx): Errors {
  const e: Errors = {};
  if (!ctx.editing) e.name = firstIssue(ResourceName, f.name);
  e.region = firstIssue(AwsRegion, f.region);
  if (f.description.length > 500) e.description = 'must be at most 500 characters';
  if (f.mode === 'iamRole') {
    e.roleArn = firstIssue(IamRoleArn, f.roleArn);
    if (f.externalId) e.externalId = firstIssue(ExternalId, f.externalId);
    if (f.sessionName) e.sessionName = firstIssue(RoleSessionName, f.sessionName);
    if (f.durationSeconds) {
      const n = Number(f.durationSeconds);
      if (!Number.isInteger(n) || n < 900 || n > 3600) {
        e.durationSeconds =
          'must be a whole number of seconds from 900 to 3600 (AWS caps role-chained sessions at one hour)';
      }
    }
  } else {
    e.accessKeyId = firstIssue(AccessKeyId, f.accessKeyId);
    if (f.secretAccessKey === '' && !ctx.secretStored)
      e.secretAccessKey = 'the secret access key is required';
  }
  if (!f.shareAll) {
    if (f.runtimes.length === 0) e.runtimes = 'select at least one runtime, or share with all runtimes';
    else {
      const problems = f.runtimes
        .map((n) => ctx.runtimes.find((r) => r.name === n))
        .map((rt) => (rt ? ruleViolation(f.mode, rt) : undefined))
        .filter((m): m is string => m !== undefined);
      if (problems.length) e.runtimes = problems.join(' ');
    }
  }
  for (const [key, value] of [
    ['endpointApi', f.endpointApi],
    ['endpointSts', f.endpointSts],
    ['endpointRegistry', f.endpointRegistry],
  ] as const) {
    if (value) e[key] = firstIssue(EndpointUrl, value);
  }
  for (const k of Object.keys(e) as FieldKey[]) if (e[k] === undefined) delete e[k];
  return e;
}

function authBody(f: FormState, editing: boolean, forTest: boolean): Record<string, unknown> {
  if (f.mode === 'iamRole') {
    return {
      mode: 'iamRole',
      roleArn: f.roleArn,
      ...(f.externalId ? { externalId: f.externalId } : {}),
      ...(f.sessionName ? { sessionName: f.sessionName } : {}),
      ...(f.durationSeconds ? { durationSeconds: Number(f.durationSeconds) } : {}),
    };
  }
  // Write-only secret: on edit (and a draft test of an edit) an empty field keeps the stored one.
  const keep = f.secretAccessKey === '' && (editing || forTest);
  return {
    mode: 'accessKey',
    accessKeyId: f.accessKeyId,
    ...(keep ? {} : { secretAccessKey: f.secretAccessKey }),
  };
}

function endpoints(f: FormState): Record<string, string> | undefined {
  const e = {
    ...(f.endpointApi ? { api: f.endpointApi } : {}),
    ...(f.endpointSts ? { sts: f.endpointSts } : {}),
    ...(f.endpointRegistry ? { registry: f.endpointRegistry } : {}),
  };
  return Object.keys(e).length ? e : undefined;
}

function sharing(f: FormState) {
  return f.shareAll ? { allRuntimes: true } : { runtimes: f.runtimes };
}

export function IntegrationFormPage({ name }: { name?: string }) {
  const editing = name !== undefined;
  const [data] = useLoad(
    async (signal) => {
      const [rts, view] = await Promise.all([
        request('/runtimes', RuntimeList, { signal }),
        name !== undefined
          ? request(`/integrations/${encodeURIComponent(name)}`, IntegrationView, { signal })
          : undefined,
      ]);
      return { runtimes: rts.items, view };
    },
    [name],
  );

  return (
    <section aria-labelledby="form-title">
      <p className="crumbs">
        <Link to="/integrations">Integrations</Link> <span aria-hidden="true">/</span>{' '}
        {editing ? name : 'New'}
      </p>
      <PageTitle>
        <span id="form-title">
          {editing ? `Edit integration “${name}”` : 'Add an Amazon ECR integration'}
        </span>
      </PageTitle>
      {data.state === 'loading' && <Loading what={editing ? 'the integration' : 'runtimes'} />}
      {data.state === 'error' && <ErrorBox error={data.error} />}
      {data.state === 'ok' && data.data.view && !data.data.view.ecr ? (
        <p className="box box-info">
          “{data.data.view.name}” is a <code>{data.data.view.type}</code> integration: the dashboard edits
          Amazon ECR integrations; change this one with <code>imagetrail integration edit</code>.
        </p>
      ) : data.state === 'ok' ? (
        <IntegrationForm runtimes={data.data.runtimes} view={data.data.view} />
      ) : null}
    </section>
  );
}

function IntegrationForm({ runtimes, view }: { runtimes: RuntimeView[]; view: IntegrationView | undefined }) {
  const editing = view !== undefined;
  const [f, setF] = useState<FormState>(() => (view?.ecr ? fromView({ ...view, ecr: view.ecr }) : EMPTY));
  const [errors, setErrors] = useState<Errors>({});
  const [run, setRun] = useState<RunState>({ phase: 'idle' });
  const [deleting, setDeleting] = useState(false);
  const [savedView, setSavedView] = useState<IntegrationView | undefined>(view);
  const abortRef = useRef<AbortController | null>(null);
  const { setNotice } = useNotice();

  useEffect(() => () => abortRef.current?.abort(), []);

  const secretStored =
    editing && savedView?.ecr?.mode === 'accessKey' && savedView.ecr.secretAccessKey?.set === true;
  const ctx: Ctx = { editing, secretStored: secretStored && f.mode === 'accessKey', runtimes };
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => {
    setF((prev) => ({ ...prev, [k]: v }));
    // Re-check a field with an error as it is fixed, so the message goes away when it is right.
    if (k in errors)
      setErrors((prev) => {
        const next = validate({ ...f, [k]: v }, ctx);
        const out: Errors = { ...prev };
        const key = k as FieldKey;
        if (next[key]) out[key] = next[key];
        else delete out[key];
        return out;
      });
  };

  function check(): boolean {
    const e = validate(f, ctx);
    setErrors(e);
    const first = FIELD_ORDER.find((k) => e[k]);
    if (first) {
      const el = document.getElementById(first === 'runtimes' ? 'share-selected' : first);
      el?.focus();
      return false;
    }
    return true;
  }

  function applyServerError(err: ApiError) {
    // Field errors go next to their fields; the error box in the run panel lists the rest.
    const fieldErrors: Errors = {};
    for (const d of err.details) {
      const k = fieldOfPath(d.path ?? '');
      if (k) fieldErrors[k] = fieldErrors[k] ? `${fieldErrors[k]} ${d.message}` : d.message;
    }
    if (Object.keys(fieldErrors).length) setErrors(fieldErrors);
  }

  async function go(what: 'test' | 'commit') {
    if (run.phase === 'running') return;
    if (!check()) return;
    const controller = new AbortController();
    abortRef.current = controller;
    const checks: Check[] = [];
    setRun({ phase: 'running', what, checks: [], startedAt: Date.now() });
    const onCheck = (c: Check) => {
      checks.push(c);
      setRun((r) => (r.phase === 'running' ? { ...r, checks: [...checks] } : r));
    };
    const ecr = {
      region: f.region,
      auth: authBody(f, editing, what === 'test'),
      ...(endpoints(f) ? { endpoints: endpoints(f) } : {}),
    };
    const testRuntime = f.testRuntime || undefined;
    let end;
    if (what === 'test') {
      end = await streamChecks('/integrations/test', {
        method: 'POST',
        body: {
          ...(editing ? { name: f.name } : {}),
          sharing: sharing(f),
          ecr,
          ...(testRuntime ? { runtime: testRuntime } : {}),
        },
        onCheck,
        timeoutMs: RUN_TIMEOUT_MS,
        signal: controller.signal,
      });
    } else if (editing) {
      end = await streamChecks(`/integrations/${encodeURIComponent(f.name)}`, {
        method: 'PATCH',
        body: {
          description: f.description === '' ? null : f.description,
          sharing: sharing(f),
          ecr: { region: f.region, auth: authBody(f, true, false), endpoints: endpoints(f) ?? null },
          skipTest: f.skipTest,
          ...(testRuntime ? { testRuntime } : {}),
        },
        onCheck,
        timeoutMs: RUN_TIMEOUT_MS,
        signal: controller.signal,
      });
    } else {
      end = await streamChecks('/integrations', {
        method: 'POST',
        body: {
          name: f.name,
          type: 'registry.ecr',
          ...(f.description ? { description: f.description } : {}),
          sharing: sharing(f),
          ecr,
          skipTest: f.skipTest,
          ...(testRuntime ? { testRuntime } : {}),
        },
        onCheck,
        timeoutMs: RUN_TIMEOUT_MS,
        signal: controller.signal,
      });
    }
    abortRef.current = null;
    if (end.type === 'timeout') {
      setRun({ phase: 'done', what, checks, outcome: { kind: 'timeout', error: end.error } });
      return;
    }
    if (end.type === 'error') {
      const parsed = TestResult.safeParse(end.error.result);
      const result = parsed.success ? parsed.data : undefined;
      // A failed test's checks may not all have been streamed (e.g. "cannot test"): show the full result.
      const shown = result && result.checks.length > checks.length ? result.checks : checks;
      setRun({ phase: 'done', what, checks: shown, outcome: { kind: 'failed', error: end.error, result } });
      applyServerError(end.error);
      return;
    }
    if (what === 'test') {
      const parsed = TestResult.safeParse(end.result);
      if (!parsed.success) {
        setRun({
          phase: 'done',
          what,
          checks,
          outcome: {
            kind: 'failed',
            error: new ApiError(
              'invalid-response',
              'The server sent a test result this dashboard does not understand.',
              undefined,
            ),
          },
        });
        return;
      }
      setRun({
        phase: 'done',
        what,
        checks: parsed.data.checks,
        outcome: { kind: 'tested', result: parsed.data },
      });
      return;
    }
    const parsed = MutationResult.safeParse(end.result);
    if (!parsed.success) {
      setRun({
        phase: 'done',
        what,
        checks,
        outcome: {
          kind: 'failed',
          error: new ApiError(
            'invalid-response',
            'The commit went through, but the server’s answer is not what this dashboard expects. Reload the list to see it.',
            undefined,
          ),
        },
      });
      return;
    }
    setSavedView(parsed.data.integration);
    setF((prev) => ({ ...prev, secretAccessKey: '' }));
    setRun({
      phase: 'done',
      what,
      checks: parsed.data.test?.checks ?? checks,
      outcome: {
        kind: 'committed',
        commit: parsed.data.commit,
        name: parsed.data.integration.name,
        result: parsed.data.test,
      },
    });
  }

  const committed = run.phase === 'done' && run.outcome.kind === 'committed';
  const locked = committed && !editing; // a created integration is edited from its own page
  const running = run.phase === 'running';

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void go('commit');
  };

  const allWarnings = f.shareAll
    ? runtimes
        .map((rt) => ({ rt, why: ruleViolation(f.mode, rt) }))
        .filter((x): x is { rt: RuntimeView; why: string } => x.why !== undefined)
    : [];
  const inProcess = runtimes.filter((r) => r.inProcess);

  return (
    <>
      <form className="card form" onSubmit={onSubmit} noValidate aria-labelledby="form-title">
        {!editing && (
          <Field
            id="name"
            label="Name"
            error={errors.name}
            help="Lowercase letters, digits and dashes; CI refers to the integration by this name."
          >
            {(a) => (
              <input
                {...a}
                type="text"
                value={f.name}
                onChange={(e) => set('name', e.target.value)}
                autoComplete="off"
                spellCheck={false}
                required
                disabled={locked}
              />
            )}
          </Field>
        )}
        <Field id="description" label="Description (optional)" error={errors.description}>
          {(a) => (
            <input
              {...a}
              type="text"
              value={f.description}
              onChange={(e) => set('description', e.target.value)}
              disabled={locked}
            />
          )}
        </Field>
        <Field
          id="region"
          label="AWS region"
          error={errors.region}
          help="The region of the registry, e.g. eu-west-1."
        >
          {(a) => (
            <input
              {...a}
              type="text"
              value={f.region}
              onChange={(e) => set('region', e.target.value)}
              autoComplete="off"
              spellCheck={false}
              required
              disabled={locked}
            />
          )}
        </Field>

        <fieldset className="group">
          <legend>Authentication</legend>
          <div className="segmented" role="radiogroup" aria-label="Authentication mode">
            <label>
              <input
                type="radio"
                name="mode"
                value="accessKey"
                checked={f.mode === 'accessKey'}
                onChange={() => set('mode', 'accessKey')}
                disabled={locked}
              />
              Access key
            </label>
            <label>
              <input
                type="radio"
                name="mode"
                value="iamRole"
                checked={f.mode === 'iamRole'}
                onChange={() => set('mode', 'iamRole')}
                disabled={locked}
              />
              IAM role
            </label>
          </div>
          {f.mode === 'iamRole' ? (
            <>
              <p className="help">
                The runtime&apos;s own AWS identity assumes this role (role chaining). Hybrid runtimes only.
              </p>
              <Field
                id="roleArn"
                label="Role ARN"
                error={errors.roleArn}
                help="arn:aws:iam::123456789012:role/imagetrail-ecr"
              >
                {(a) => (
                  <input
                    {...a}
                    type="text"
                    value={f.roleArn}
                    onChange={(e) => set('roleArn', e.target.value)}
                    spellCheck={false}
                    autoComplete="off"
                    disabled={locked}
                  />
                )}
              </Field>
              <Field id="externalId" label="External ID (optional)" error={errors.externalId}>
                {(a) => (
                  <input
                    {...a}
                    type="text"
                    value={f.externalId}
                    onChange={(e) => set('externalId', e.target.value)}
                    spellCheck={false}
                    autoComplete="off"
                    disabled={locked}
                  />
                )}
              </Field>
              <Field
                id="sessionName"
                label="Session name (optional)"
                error={errors.sessionName}
                help="Shows in CloudTrail; default imagetrail-<runtime>."
              >
                {(a) => (
                  <input
                    {...a}
                    type="text"
                    value={f.sessionName}
                    onChange={(e) => set('sessionName', e.target.value)}
                    spellCheck={false}
                    autoComplete="off"
                    disabled={locked}
                  />
                )}
              </Field>
            </>
          ) : (
            <>
              <p className="help">
                An IAM user&apos;s access key. Needs runtime {ACCESS_KEY_MIN_RUNTIME_VERSION} or later. The
                secret is sealed in Git and never shown again.
              </p>
              <Field id="accessKeyId" label="Access key ID" error={errors.accessKeyId}>
                {(a) => (
                  <input
                    {...a}
                    type="text"
                    value={f.accessKeyId}
                    onChange={(e) => set('accessKeyId', e.target.value)}
                    spellCheck={false}
                    autoComplete="off"
                    disabled={locked}
                  />
                )}
              </Field>
              <Field
                id="secretAccessKey"
                label={ctx.secretStored ? 'Secret access key (set)' : 'Secret access key'}
                error={errors.secretAccessKey}
                help={
                  ctx.secretStored
                    ? 'A secret is stored. Leave this empty to keep it, or type a new one to replace it. Changing the region or an endpoint needs it typed again: it is sealed for where it is sent.'
                    : 'Write-only: it is sent once and stored sealed.'
                }
              >
                {(a) => (
                  <input
                    {...a}
                    type="password"
                    value={f.secretAccessKey}
                    onChange={(e) => set('secretAccessKey', e.target.value)}
                    autoComplete="new-password"
                    placeholder={ctx.secretStored ? '•••••• (set)' : ''}
                    disabled={locked}
                  />
                )}
              </Field>
            </>
          )}
        </fieldset>

        <fieldset
          className={`group${errors.runtimes ? ' field-invalid' : ''}`}
          aria-describedby={errors.runtimes ? 'runtimes-error' : undefined}
        >
          <legend>Runtimes</legend>
          <div className="segmented">
            <label>
              <input
                type="radio"
                name="share"
                id="share-all"
                checked={f.shareAll}
                onChange={() => set('shareAll', true)}
                disabled={locked}
              />
              All runtimes
            </label>
            <label>
              <input
                type="radio"
                name="share"
                id="share-selected"
                checked={!f.shareAll}
                onChange={() => set('shareAll', false)}
                disabled={locked}
              />
              Selected runtimes
            </label>
          </div>
          {!f.shareAll && (
            <ul className="runtime-choices">
              {runtimes.map((rt) => {
                const why = ruleViolation(f.mode, rt);
                const id = `rt-${rt.name}`;
                return (
                  <li key={rt.name}>
                    <input
                      type="checkbox"
                      id={id}
                      checked={f.runtimes.includes(rt.name)}
                      onChange={(e) =>
                        set(
                          'runtimes',
                          e.target.checked
                            ? [...f.runtimes, rt.name]
                            : f.runtimes.filter((n) => n !== rt.name),
                        )
                      }
                      aria-describedby={why ? `${id}-why` : undefined}
                      disabled={locked}
                    />
                    <label htmlFor={id}>
                      {rt.name}{' '}
                      <span className="muted small">
                        ({rt.type}, {rt.version})
                      </span>
                    </label>
                    {why && (
                      <p className="help warn" id={`${id}-why`}>
                        {why}
                      </p>
                    )}
                  </li>
                );
              })}
            </ul>
          )}
          {allWarnings.length > 0 && (
            <div className="box box-info small" role="note">
              Shared with all runtimes, it will be unavailable on:
              <ul>
                {allWarnings.map((w) => (
                  <li key={w.rt.name}>{w.why}</li>
                ))}
              </ul>
            </div>
          )}
          {errors.runtimes && (
            <p className="field-error" id="runtimes-error">
              {errors.runtimes}
            </p>
          )}
        </fieldset>

        <details className="advanced">
          <summary>Advanced</summary>
          <p className="help">
            Endpoint overrides for VPC interface endpoints or test servers. They win over the runtime&apos;s
            AWS_ENDPOINT_URL_* settings.
          </p>
          <Field id="endpointApi" label="ECR API endpoint" error={errors.endpointApi}>
            {(a) => (
              <input
                {...a}
                type="url"
                value={f.endpointApi}
                onChange={(e) => set('endpointApi', e.target.value)}
                spellCheck={false}
                disabled={locked}
              />
            )}
          </Field>
          <Field id="endpointSts" label="STS endpoint" error={errors.endpointSts}>
            {(a) => (
              <input
                {...a}
                type="url"
                value={f.endpointSts}
                onChange={(e) => set('endpointSts', e.target.value)}
                spellCheck={false}
                disabled={locked}
              />
            )}
          </Field>
          <Field id="endpointRegistry" label="Registry (/v2/) endpoint" error={errors.endpointRegistry}>
            {(a) => (
              <input
                {...a}
                type="url"
                value={f.endpointRegistry}
                onChange={(e) => set('endpointRegistry', e.target.value)}
                spellCheck={false}
                disabled={locked}
              />
            )}
          </Field>
          {f.mode === 'iamRole' && (
            <Field
              id="durationSeconds"
              label="Session duration in seconds (optional)"
              error={errors.durationSeconds}
              help="900 to 3600; default 3600."
            >
              {(a) => (
                <input
                  {...a}
                  type="number"
                  inputMode="numeric"
                  min={900}
                  max={3600}
                  value={f.durationSeconds}
                  onChange={(e) => set('durationSeconds', e.target.value)}
                  disabled={locked}
                />
              )}
            </Field>
          )}
          <Field id="testRuntime" label="Run the test on" error={errors.testRuntime}>
            {(a) => (
              <select
                {...a}
                value={f.testRuntime}
                onChange={(e) => set('testRuntime', e.target.value)}
                disabled={locked}
              >
                <option value="">Default (this server&apos;s runtime)</option>
                {inProcess.map((r) => (
                  <option key={r.name} value={r.name}>
                    {r.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <div className="check-field">
            <input
              type="checkbox"
              id="skipTest"
              checked={f.skipTest}
              onChange={(e) => set('skipTest', e.target.checked)}
              disabled={locked}
            />
            <label htmlFor="skipTest">Commit without testing the connection</label>
          </div>
        </details>

        <div className="actions">
          <button type="button" onClick={() => void go('test')} disabled={running || locked}>
            Test connection
          </button>
          <button type="submit" className="primary" disabled={running || locked}>
            {editing ? 'Commit changes' : 'Commit'}
          </button>
          {editing && (
            <button type="button" className="danger" onClick={() => setDeleting(true)} disabled={running}>
              Delete…
            </button>
          )}
          <Link to="/integrations" className="button-link">
            {committed ? 'Back to integrations' : 'Cancel'}
          </Link>
        </div>
      </form>

      <RunPanel
        run={run}
        onCancel={() => {
          abortRef.current?.abort();
        }}
      />

      {committed && savedView && (
        <section className="card" aria-labelledby="avail-title">
          <h2 id="avail-title">Availability</h2>
          <Availability items={savedView.availability} />
          <p>
            <Link to="/integrations">See all integrations</Link>
            {!editing && (
              <>
                {' · '}
                <Link to={`/integrations/${encodeURIComponent(savedView.name)}`}>
                  Edit “{savedView.name}”
                </Link>
              </>
            )}
          </p>
        </section>
      )}

      {editing && deleting && (
        <DeleteDialog
          name={f.name}
          onClose={() => setDeleting(false)}
          onDeleted={(commit) =>
            setNotice({
              path: '/integrations',
              text: `Deleted “${f.name}”${commit ? ` in commit ${commit.slice(0, 7)}` : ''}.`,
            })
          }
        />
      )}
    </>
  );
}
