import type { ImageDetail } from '../api/schemas.js';
import { when } from '../format.js';

/**
 * The Dockerfile the newest build reported (Codefresh's CF_DOCKERFILE_CONTENT), like Codefresh's
 * Dockerfile tab. Rendered as text: React escapes it, so a Dockerfile cannot inject markup.
 */
export function DockerfileCard({ builds }: { builds: ImageDetail['builds'] }) {
  const build = builds.find((b) => b.dockerfile !== undefined);
  if (!build?.dockerfile) return null;
  return (
    <section className="card" aria-labelledby="dockerfile-title">
      <h2 id="dockerfile-title">Dockerfile</h2>
      <p className="muted small">
        Reported with {build.workflowName ?? `report ${build.reportId}`}, {when(build.reportedAt)}
      </p>
      <pre className="dockerfile">
        <code>{build.dockerfile}</code>
      </pre>
    </section>
  );
}
