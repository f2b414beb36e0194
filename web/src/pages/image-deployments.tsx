import type { ImageDeployments } from '../api/schemas.js';
import { IntervalList, LeadTimeLine, RunningTable } from '../components/deployments.js';
import { when } from '../format.js';

/** The image detail's deployment cards: where its digest (or a platform of it) runs now, and ran before. */
export function DeploymentsCards({ d }: { d: ImageDeployments | undefined }) {
  if (!d) return null;
  return (
    <>
      <section className="card" aria-labelledby="running-title">
        <h2 id="running-title">Running now</h2>
        {d.discoveredInCluster && (
          <p>
            <span className="badge" data-discovered>
              discovered in cluster
            </span>{' '}
            <span className="muted small">
              Nobody reported this image: runtime {d.discoveredInCluster.runtime} saw it running on{' '}
              {when(d.discoveredInCluster.at)}.
            </span>
          </p>
        )}
        {d.leadTime && <LeadTimeLine lt={d.leadTime} />}
        {d.running.length === 0 ? (
          <p className="muted">Not running in any tracked cluster.</p>
        ) : (
          <RunningTable label="Running now" items={d.running} />
        )}
      </section>
      <section className="card" aria-labelledby="history-title">
        <h2 id="history-title">Deployment history ({d.history.length})</h2>
        {d.history.length === 0 ? (
          <p className="muted">No earlier deployment.</p>
        ) : (
          <IntervalList label="Deployment history" items={d.history} />
        )}
      </section>
    </>
  );
}
