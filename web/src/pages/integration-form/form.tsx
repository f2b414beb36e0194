import { useState, type FormEvent } from 'react';
import type { IntegrationView, RuntimeView } from '../../api/schemas.js';
import { RunPanel } from '../../components/checks.js';
import { DeleteDialog } from '../../components/delete-dialog.js';
import { Field } from '../../components/ui.js';
import { useNotice } from '../../notice.js';
import { Link } from '../../router.js';
import { Availability } from '../integrations.js';
import { FieldControl } from './fields.js';
import { visibleFields, type FieldGroup, type TypeForm } from './model.js';
import { buildRequest, type RunWhat } from './request.js';
import { useRun } from './run.js';
import { RuntimeSharing } from './sharing.js';
import { useFormState } from './state.js';

type FormApi = ReturnType<typeof useFormState>;

/** Any type's form: name and description, the type's field set, sharing, advanced options, the run panel. */
export function IntegrationForm({
  form,
  runtimes,
  view,
}: {
  form: TypeForm;
  runtimes: RuntimeView[];
  view: IntegrationView | undefined;
}) {
  const api = useFormState(form, runtimes, view);
  const { s, set, errors, editing } = api;
  const { run, running, start, cancel } = useRun();
  const [deleting, setDeleting] = useState(false);

  async function go(what: RunWhat) {
    if (running || !api.check()) return;
    const finished = await start(buildRequest(form, s, editing, what));
    if (finished.error) api.applyServerError(finished.error);
    if (finished.committed) api.committed(finished.committed.integration);
  }

  const committed = run.phase === 'done' && run.outcome.kind === 'committed';
  const locked = committed && !editing; // a created integration is edited from its own page
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void go('commit');
  };

  return (
    <>
      <form className="card form" onSubmit={onSubmit} noValidate aria-labelledby="form-title">
        <NameAndDescription api={api} locked={locked} />
        <Group form={form} api={api} group="main" locked={locked} />
        <fieldset className="group">
          <legend>Authentication</legend>
          <Group form={form} api={api} group="auth" locked={locked} />
        </fieldset>
        <RuntimeSharing
          runtimes={runtimes}
          shareAll={s.shareAll}
          selected={s.runtimes}
          rule={(rt) => form.runtimeRule?.(s.values, rt)}
          error={errors['runtimes']}
          disabled={locked}
          onShareAll={(all) => set('shareAll', all)}
          onSelected={(names) => set('runtimes', names)}
        />
        <Advanced form={form} api={api} runtimes={runtimes} locked={locked} />
        <Actions
          editing={editing}
          running={running}
          locked={locked}
          committed={committed}
          onTest={() => void go('test')}
          onDelete={() => setDeleting(true)}
        />
      </form>
      <RunPanel run={run} onCancel={cancel} />
      {committed && api.savedView && <AfterCommit saved={api.savedView} editing={editing} />}
      {editing && deleting && <Delete name={s.name} onClose={() => setDeleting(false)} />}
    </>
  );
}

/** What every integration has: its name (fixed once created) and a description. */
function NameAndDescription({ api, locked }: { api: FormApi; locked: boolean }) {
  const { s, set, errors, editing } = api;
  return (
    <>
      {!editing && (
        <Field
          id="name"
          label="Name"
          error={errors['name']}
          help="Lowercase letters, digits and dashes; CI refers to the integration by this name."
        >
          {(a) => (
            <input
              {...a}
              type="text"
              value={s.name}
              onChange={(e) => set('name', e.target.value)}
              autoComplete="off"
              spellCheck={false}
              required
              disabled={locked}
            />
          )}
        </Field>
      )}
      <Field id="description" label="Description (optional)" error={errors['description']}>
        {(a) => (
          <input
            {...a}
            type="text"
            value={s.description}
            onChange={(e) => set('description', e.target.value)}
            disabled={locked}
          />
        )}
      </Field>
    </>
  );
}

function Actions({
  editing,
  running,
  locked,
  committed,
  onTest,
  onDelete,
}: {
  editing: boolean;
  running: boolean;
  locked: boolean;
  committed: boolean;
  onTest: () => void;
  onDelete: () => void;
}) {
  return (
    <div className="actions">
      <button type="button" onClick={onTest} disabled={running || locked}>
        Test connection
      </button>
      <button type="submit" className="primary" disabled={running || locked}>
        {editing ? 'Commit changes' : 'Commit'}
      </button>
      {editing && (
        <button type="button" className="danger" onClick={onDelete} disabled={running}>
          Delete…
        </button>
      )}
      <Link to="/integrations" className="button-link">
        {committed ? 'Back to integrations' : 'Cancel'}
      </Link>
    </div>
  );
}

/** The type's fields of one group, in the order the type lists them. */
function Group({
  form,
  api,
  group,
  locked,
}: {
  form: TypeForm;
  api: FormApi;
  group: FieldGroup;
  locked: boolean;
}) {
  return (
    <>
      {visibleFields(form, api.s.values)
        .filter((f) => f.group === group)
        .map((f) => (
          <FieldControl
            key={f.key}
            spec={f}
            value={api.s.values[f.key] ?? ''}
            error={api.errors[f.key]}
            onChange={(v) => api.setValue(f.key, v)}
            disabled={locked}
            kept={api.kept.has(f.key)}
            destinations={form.destinations.words}
          />
        ))}
    </>
  );
}

/** Endpoint overrides and the like, where the test runs, and committing without a test. */
function Advanced({
  form,
  api,
  runtimes,
  locked,
}: {
  form: TypeForm;
  api: FormApi;
  runtimes: RuntimeView[];
  locked: boolean;
}) {
  const { s, set, errors } = api;
  return (
    <details className="advanced">
      <summary>Advanced</summary>
      {form.advancedHelp && <p className="help">{form.advancedHelp}</p>}
      <Group form={form} api={api} group="advanced" locked={locked} />
      <Field id="testRuntime" label="Run the test on" error={errors['testRuntime']}>
        {(a) => (
          <select
            {...a}
            value={s.testRuntime}
            onChange={(e) => set('testRuntime', e.target.value)}
            disabled={locked}
          >
            <option value="">Default (this server&apos;s runtime)</option>
            {runtimes
              .filter((r) => r.inProcess)
              .map((r) => (
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
          checked={s.skipTest}
          onChange={(e) => set('skipTest', e.target.checked)}
          disabled={locked}
        />
        <label htmlFor="skipTest">Commit without testing the connection</label>
      </div>
    </details>
  );
}

function AfterCommit({ saved, editing }: { saved: IntegrationView; editing: boolean }) {
  return (
    <section className="card" aria-labelledby="avail-title">
      <h2 id="avail-title">Availability</h2>
      <Availability items={saved.availability} />
      <p>
        <Link to="/integrations">See all integrations</Link>
        {!editing && (
          <>
            {' · '}
            <Link to={`/integrations/${encodeURIComponent(saved.name)}`}>Edit “{saved.name}”</Link>
          </>
        )}
      </p>
    </section>
  );
}

function Delete({ name, onClose }: { name: string; onClose: () => void }) {
  const { setNotice } = useNotice();
  return (
    <DeleteDialog
      name={name}
      onClose={onClose}
      onDeleted={(commit) =>
        setNotice({
          path: '/integrations',
          text: `Deleted “${name}”${commit ? ` in commit ${commit.slice(0, 7)}` : ''}.`,
        })
      }
    />
  );
}
