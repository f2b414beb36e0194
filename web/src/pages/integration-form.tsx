import { request } from '../api/client.js';
import { IntegrationView, RuntimeList } from '../api/schemas.js';
import { ErrorBox, Loading, PageTitle, useLoad } from '../components/ui.js';
import { Link, NEW_INTEGRATION_PATH, useRouter } from '../router.js';
import { IntegrationForm } from './integration-form/form.js';
import { addPath, TYPE_FORMS, typeFormFor } from './integration-form/registry.js';

/**
 * Add (`/integrations/_new`, `?type=git.github` or `issue.jira`; ECR without one) or edit
 * (`/integrations/NAME`) an integration of any type the dashboard knows; the type's field set comes from
 * `integration-form/registry.ts`.
 */
export function IntegrationFormPage({ name }: { name?: string }) {
  const editing = name !== undefined;
  const { search } = useRouter();
  const requested = editing ? undefined : (search.get('type') ?? 'registry.ecr');
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
  const form = typeFormFor(data.state === 'ok' && data.data.view ? data.data.view.type : requested);
  const title = editing ? `Edit integration “${name}”` : (form?.addTitle ?? 'Add an integration');

  return (
    <section aria-labelledby="form-title">
      <p className="crumbs">
        <Link to="/integrations">Integrations</Link> <span aria-hidden="true">/</span>{' '}
        {editing ? name : 'New'}
      </p>
      <PageTitle>
        <span id="form-title">{title}</span>
      </PageTitle>
      {data.state === 'loading' && <Loading what={editing ? 'the integration' : 'runtimes'} />}
      {data.state === 'error' && <ErrorBox error={data.error} />}
      {data.state === 'ok' && !form && <UnknownType view={data.data.view} requested={requested} />}
      {data.state === 'ok' && form && (
        <IntegrationForm key={form.type} form={form} runtimes={data.data.runtimes} view={data.data.view} />
      )}
    </section>
  );
}

/** A type this dashboard does not know (a newer server's): the CLI edits it. */
function UnknownType({
  view,
  requested,
}: {
  view: IntegrationView | undefined;
  requested: string | undefined;
}) {
  if (view) {
    return (
      <p className="box box-info">
        “{view.name}” is a <code>{view.type}</code> integration, which this dashboard does not edit; change it
        with <code>imagetrail integration edit</code>.
      </p>
    );
  }
  return (
    <div className="box box-info">
      <p>
        The dashboard cannot add integrations of type <code>{requested}</code>. It adds:
      </p>
      <ul>
        {Object.values(TYPE_FORMS).map((f) => (
          <li key={f.type}>
            <Link to={addPath(f, NEW_INTEGRATION_PATH)}>{f.title}</Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
