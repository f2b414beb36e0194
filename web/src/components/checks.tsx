import { useEffect, useState } from 'react';
import type { ApiError } from '../api/client.js';
import type { Check, TestResult } from '../api/schemas.js';
import { identityText } from '../../../src/contract/integrations.js';
import { ErrorBox } from './ui.js';

/**
 * A connection test (or a commit, which tests first) as it happens: each check as the server streams it,
 * then ALWAYS a visible end: the result, the error, or the client-side timeout.
 */
export type RunState =
  | { phase: 'idle' }
  | { phase: 'running'; what: 'test' | 'commit'; checks: Check[]; startedAt: number }
  | {
      phase: 'done';
      what: 'test' | 'commit';
      checks: Check[];
      outcome:
        | { kind: 'tested'; result: TestResult }
        | { kind: 'committed'; commit: string | null; name: string; result?: TestResult | undefined }
        | { kind: 'failed'; error: ApiError; result?: TestResult | undefined }
        | { kind: 'timeout'; error: ApiError };
    };

function checkState(c: Check): 'ok' | 'failed' | 'skipped' {
  if (c.skipped) return 'skipped';
  return c.ok ? 'ok' : 'failed';
}

const ICON = { ok: '✓', failed: '✕', skipped: '–' } as const;
const WORD = { ok: 'passed', failed: 'failed', skipped: 'skipped' } as const;

export function CheckList({ checks }: { checks: Check[] }) {
  if (checks.length === 0) return null;
  return (
    <ol className="checks" aria-label="Checks">
      {checks.map((c, i) => {
        const s = checkState(c);
        return (
          <li key={`${c.name}-${i}`} className={`check check-${s}`} data-check={c.name} data-state={s}>
            <span className="check-icon" aria-hidden="true">
              {ICON[s]}
            </span>
            <div className="check-body">
              <div>
                <strong className="check-name">{c.name}</strong>{' '}
                <span className={`badge badge-${s}`}>{WORD[s]}</span>
                {c.durationMs !== undefined && <span className="muted small"> {c.durationMs} ms</span>}
              </div>
              <div className="check-message">{c.message}</div>
              {c.hints && c.hints.length > 0 && (
                <ul className="hints">
                  {c.hints.map((h) => (
                    <li key={h}>{h}</li>
                  ))}
                </ul>
              )}
            </div>
          </li>
        );
      })}
    </ol>
  );
}

function Elapsed({ since }: { since: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return <span className="muted small"> {Math.floor((now - since) / 1000)} s</span>;
}

export function RunPanel({ run, onCancel }: { run: RunState; onCancel: () => void }) {
  if (run.phase === 'idle') return null;
  const title = run.what === 'test' ? 'Connection test' : 'Commit';
  return (
    <section className="card run-panel" aria-labelledby="run-title" data-phase={run.phase}>
      <h2 id="run-title">{title}</h2>
      {/* Checks are announced as they arrive; the end is announced by its own status/alert. */}
      <div aria-live="polite">
        <CheckList checks={run.checks} />
      </div>
      {run.phase === 'running' && (
        <p className="loading" role="status">
          <span className="spinner" aria-hidden="true" />
          {run.what === 'test' ? ' Testing the connection…' : ' Testing and committing…'} {run.checks.length}{' '}
          check
          {run.checks.length === 1 ? '' : 's'} so far.
          <Elapsed since={run.startedAt} />{' '}
          <button type="button" className="button-link" onClick={onCancel}>
            Cancel
          </button>
        </p>
      )}
      {run.phase === 'done' && <RunEnd outcome={run.outcome} />}
    </section>
  );
}

function RunEnd({ outcome }: { outcome: Extract<RunState, { phase: 'done' }>['outcome'] }) {
  switch (outcome.kind) {
    case 'tested':
      return outcome.result.ok ? (
        <p className="box box-ok run-end" role="status" data-end="ok">
          <strong>Connection test passed</strong>
          {outcome.result.runtime && <> on runtime “{outcome.result.runtime.name}”</>}
          {outcome.result.identity && identityText(outcome.result.identity) && (
            <>
              {' '}
              as <code>{identityText(outcome.result.identity)}</code>
            </>
          )}
          . You can commit.
        </p>
      ) : (
        <div className="box box-error run-end" role="alert" data-end="failed">
          <p className="box-title">Connection test failed</p>
          <p>
            {outcome.result.checks.filter((c) => !c.ok && !c.skipped).length} check(s) failed
            {outcome.result.runtime && <> on runtime “{outcome.result.runtime.name}”</>}. Fix what the failed
            checks say and test again.
          </p>
        </div>
      );
    case 'committed':
      return (
        <p className="box box-ok run-end" role="status" data-end="committed">
          <strong>Committed.</strong>{' '}
          {outcome.commit ? (
            <>
              “{outcome.name}” is in the shared configuration repository at commit{' '}
              <code className="commit-sha" title={outcome.commit}>
                {outcome.commit}
              </code>
              .
            </>
          ) : (
            <>Nothing changed, so there was nothing to commit.</>
          )}
        </p>
      );
    case 'failed':
      return (
        <div className="run-end" data-end="error">
          <ErrorBox error={outcome.error} />
        </div>
      );
    case 'timeout':
      return (
        <div className="run-end" data-end="timeout">
          <ErrorBox error={outcome.error} title="No answer in time" />
        </div>
      );
  }
}
