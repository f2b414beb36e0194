import {
  Component,
  createContext,
  lazy,
  Suspense,
  useContext,
  type ComponentType,
  type LazyExoticComponent,
  type ReactNode,
} from 'react';
import { Loading } from '../components/ui.js';

/**
 * The signed-in pages, each its own chunk loaded on first visit (issue 10): the first page downloads the
 * shell and that page, not every page. A direct visit (bookmark, reload) loads the same way.
 */

/** Which attempt at showing a page this is: a fresh object each time a boundary mounts or retries. */
const Attempt = createContext<object>({});

interface Loading<P> {
  Page: LazyExoticComponent<ComponentType<P>>;
  attempt: object;
  failed: boolean;
}

function page<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  // React.lazy remembers a failed import for good. A page whose import failed gets a fresh lazy component on
  // the next attempt (the error box's Retry, or coming back to the page), which calls import() again; within
  // one attempt the failure stands, so React's re-render after the rejection shows the error box.
  const start = (attempt: object): Loading<P> => {
    const loading: Loading<P> = {
      attempt,
      failed: false,
      Page: lazy(() =>
        load().then(
          (c) => ({ default: c }),
          (err: unknown) => {
            loading.failed = true;
            throw err;
          },
        ),
      ),
    };
    return loading;
  };
  let current: Loading<P> | undefined;
  return function LazyPage(props: P) {
    const attempt = useContext(Attempt);
    if (!current || (current.failed && current.attempt !== attempt)) current = start(attempt);
    const Page = current.Page as unknown as ComponentType<P>;
    return <Page {...props} />;
  };
}

export const IntegrationsPage = page(() => import('./integrations.js').then((m) => m.IntegrationsPage));
export const IntegrationFormPage = page(() =>
  import('./integration-form.js').then((m) => m.IntegrationFormPage),
);
export const RuntimesPage = page(() => import('./runtimes.js').then((m) => m.RuntimesPage));
export const ImagesPage = page(() => import('./images.js').then((m) => m.ImagesPage));
export const ImageDetailPage = page(() => import('./image-detail.js').then((m) => m.ImageDetailPage));
export const ReportsPage = page(() => import('./reports.js').then((m) => m.ReportsPage));
export const AuditPage = page(() => import('./audit.js').then((m) => m.AuditPage));
export const ApplicationsPage = page(() => import('./applications.js').then((m) => m.ApplicationsPage));
export const ApplicationDetailPage = page(() =>
  import('./application-detail.js').then((m) => m.ApplicationDetailPage),
);

/** Where a lazy page renders: a loading line while its chunk arrives, a way out if it cannot. */
export function PageSlot({ path, children }: { path: string; children: ReactNode }) {
  return (
    <ChunkErrorBoundary key={path}>
      <Suspense fallback={<Loading what="page" />}>{children}</Suspense>
    </ChunkErrorBoundary>
  );
}

/**
 * A chunk that fails to load (the network dropped; the server now runs a newer build, whose assets have other
 * names) would otherwise blank the whole dashboard. Retry imports the page again (enough after a network
 * error); Reload fetches the newer build. Keyed by path, so navigating elsewhere starts afresh.
 */
class ChunkErrorBoundary extends Component<{ children: ReactNode }, { error: unknown; attempt: object }> {
  override state: { error: unknown; attempt: object } = { error: undefined, attempt: {} };

  static getDerivedStateFromError(error: unknown): { error: unknown } {
    return { error: error ?? 'unknown error' };
  }

  override render(): ReactNode {
    if (this.state.error === undefined)
      return <Attempt.Provider value={this.state.attempt}>{this.props.children}</Attempt.Provider>;
    const e: unknown = this.state.error;
    return (
      <div className="box box-error" role="alert">
        <p className="box-title">This page could not be shown</p>
        {e instanceof Error && <p>{e.message}</p>}
        <p>The server may be unreachable, or the dashboard may have been updated since this tab opened.</p>
        <div className="actions">
          <button type="button" onClick={() => this.setState({ error: undefined, attempt: {} })}>
            Retry
          </button>
          <button type="button" onClick={() => window.location.reload()}>
            Reload
          </button>
        </div>
      </div>
    );
  }
}
