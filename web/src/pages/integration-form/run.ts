import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, streamChecks, type StreamEnd } from '../../api/client.js';
import { MutationResult, TestResult, type Check } from '../../api/schemas.js';
import type { RunState } from '../../components/checks.js';
import type { RunRequest, RunWhat } from './request.js';

/** How long the dashboard waits for a test or commit to end before it stops and says so. */
export const RUN_TIMEOUT_MS = 60_000;

function unexpected(message: string): ApiError {
  return new ApiError('invalid-response', message, undefined);
}

export interface Finished {
  state: RunState;
  committed?: MutationResult;
  error?: ApiError;
}

/** The visible end of a run, from how the stream ended. */
export function finish(end: StreamEnd, what: RunWhat, checks: Check[]): Finished {
  const done = (outcome: Extract<RunState, { phase: 'done' }>['outcome'], shown = checks): RunState => ({
    phase: 'done',
    what,
    checks: shown,
    outcome,
  });
  if (end.type === 'timeout') return { state: done({ kind: 'timeout', error: end.error }) };
  if (end.type === 'error') {
    const parsed = TestResult.safeParse(end.error.result);
    const result = parsed.success ? parsed.data : undefined;
    // A failed test's checks may not all have been streamed (e.g. "cannot test"): show the full result.
    const shown = result && result.checks.length > checks.length ? result.checks : checks;
    return { state: done({ kind: 'failed', error: end.error, result }, shown), error: end.error };
  }
  if (what === 'test') {
    const parsed = TestResult.safeParse(end.result);
    if (!parsed.success) {
      const error = unexpected('The server sent a test result this dashboard does not understand.');
      return { state: done({ kind: 'failed', error }) };
    }
    return { state: done({ kind: 'tested', result: parsed.data }, parsed.data.checks) };
  }
  const parsed = MutationResult.safeParse(end.result);
  if (!parsed.success) {
    const error = unexpected(
      'The commit went through, but the server’s answer is not what this dashboard expects. Reload the list to see it.',
    );
    return { state: done({ kind: 'failed', error }) };
  }
  const m = parsed.data;
  const outcome = { kind: 'committed' as const, commit: m.commit, name: m.integration.name, result: m.test };
  return { state: done(outcome, m.test?.checks ?? checks), committed: m };
}

/** Runs tests and commits one at a time, streaming each check into the run panel; cancelled on unmount. */
export function useRun() {
  const [run, setRun] = useState<RunState>({ phase: 'idle' });
  const abortRef = useRef<AbortController | null>(null);
  useEffect(() => () => abortRef.current?.abort(), []);

  const start = useCallback(async (req: RunRequest): Promise<Finished> => {
    const controller = new AbortController();
    abortRef.current = controller;
    const checks: Check[] = [];
    setRun({ phase: 'running', what: req.what, checks: [], startedAt: Date.now() });
    const end = await streamChecks(req.path, {
      method: req.method,
      body: req.body,
      onCheck: (c) => {
        checks.push(c);
        setRun((r) => (r.phase === 'running' ? { ...r, checks: [...checks] } : r));
      },
      timeoutMs: RUN_TIMEOUT_MS,
      signal: controller.signal,
    });
    abortRef.current = null;
    const finished = finish(end, req.what, checks);
    setRun(finished.state);
    return finished;
  }, []);

  const cancel = useCallback(() => abortRef.current?.abort(), []);
  return { run, running: run.phase === 'running', start, cancel };
}
