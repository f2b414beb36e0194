import { Component, lazy, Suspense, type ComponentType, type ReactNode } from 'react';
import { Loading } from '../components/ui.js';

/**
 * The signed-in pages, each its own chunk loaded on first visit (issue 10): the first page downloads the
 * shell and that page, not every page. A direct visit (bookmark, reload) loads the same way.
 */

function page<P extends object>(load: () => Promise<ComponentType<P>>) {
  return lazy(async () => ({ default: await load() }));
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
 * A chunk that fails to load (the server now runs a newer build, whose assets have other names; the network
 * is gone) would otherwise blank the whole dashboard. Keyed by path, so navigating elsewhere starts afresh.
 */
class ChunkErrorBoundary extends Component<{ children: ReactNode }, { error: unknown }> {
  override state: { error: unknown } = { error: undefined };

  static getDerivedStateFromError(error: unknown): { error: unknown } {
    return { error: error ?? 'unknown error' };
  }

  override render(): ReactNode {
    if (this.state.error === undefined) return this.props.children;
    const e: unknown = this.state.error;
    return (
      <div className="box box-error" role="alert">
        <p className="box-title">This page could not be shown</p>
        {e instanceof Error && <p>{e.message}</p>}
        <p>The dashboard may have been updated since this tab opened, or the server is unreachable.</p>
        <button type="button" onClick={() => window.location.reload()}>
          Reload
        </button>
      </div>
    );
  }
}
