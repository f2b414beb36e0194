import { CheckFailedError, InputError, UnavailableError } from '../../domain/errors.js';
import type { ConfigSnapshot } from '../../config-repo/snapshot.js';
import type { IntegrationExecutor } from '../types/executor.js';
import type { RemoteTester } from '../remote-tester.js';
import type { AnyIntegrationTypeHandler, Runtime } from '../types/handler.js';
import type { IntegrationTestResult } from '../types/index.js';
import type { Target } from './availability.js';
import { runtimeNotFound } from './entries.js';
import type { OnCheck } from './types.js';

/** Where tests run: in this process, or by the agents of a remote hybrid runtime (src/runtimes/agent-tasks.ts). */
export interface TestPlaces {
  executor: IntegrationExecutor;
  remote?: RemoteTester | undefined;
}

function servedRemotely(places: TestPlaces, r: Runtime): boolean {
  return !places.executor.canExecute(r).ok && places.remote?.serves(r) === true;
}

/** Runs the type's connection test where `runtime` lives; clear secrets leave this process only sealed. */
export function testOn(
  places: TestPlaces,
  h: AnyIntegrationTypeHandler,
  name: string,
  settings: unknown,
  runtime: Runtime,
  onCheck?: OnCheck,
): Promise<IntegrationTestResult> {
  if (servedRemotely(places, runtime)) return places.remote!.test(h, name, settings, runtime, onCheck);
  return h.test(settings, runtime, places.executor, onCheck);
}

/**
 * Where a connection test runs: the requested runtime if it can use the integration and it can be tested
 * (in this process or by its agents), else a runtime this process runs (the local one first), else the first
 * served by agents.
 */
export function pickTestRuntime(
  places: TestPlaces,
  candidates: Runtime[],
  requested: string | undefined,
  what: string,
): string {
  const { executor } = places;
  const executable = [
    ...candidates.filter((r) => executor.canExecute(r).ok),
    ...candidates.filter((r) => servedRemotely(places, r)),
  ];
  if (requested) {
    const r = candidates.find((c) => c.metadata.name === requested);
    if (!r) {
      throw new InputError(
        `Runtime "${requested}" cannot run the test: ${what} is not shared with it or is not available on it.`,
        { hints: [`Pick one of: ${candidates.map((c) => c.metadata.name).join(', ') || '(none)'}`] },
      );
    }
    const can = executor.canExecute(r);
    if (!can.ok && !servedRemotely(places, r)) throw cannotTest(can.reason);
    return requested;
  }
  const local = executable.find((r) => r.metadata.name === executor.localRuntime);
  const chosen = local ?? executable[0];
  if (!chosen) {
    throw cannotTest(
      candidates.length === 0
        ? `no runtime can use ${what}: it is shared with no runtime on which it is available`
        : `none of the runtimes that can use ${what} (${candidates.map((c) => c.metadata.name).join(', ')}) runs in this server`,
    );
  }
  return chosen.metadata.name;
}

function cannotTest(reason: string): CheckFailedError {
  const result = {
    ok: false,
    checks: [{ name: 'runtime', ok: false, message: `Cannot test: ${reason}.` }],
  };
  return new CheckFailedError(`Connection test could not run: ${reason}. Nothing was committed.`, result, {
    hints: [
      'Share the integration with a runtime this server runs (e.g. "local"), or pass --skip-test to commit without testing.',
    ],
  });
}

/**
 * The connection test that gates a commit: run on a runtime the settings will be shared with and are
 * available on; a failed test throws (with its first failure's hints), so nothing is committed.
 */
export async function gateTest(
  places: TestPlaces,
  name: string,
  snap: ConfigSnapshot,
  targets: Target[],
  h: AnyIntegrationTypeHandler,
  settings: unknown,
  requested: string | undefined,
  onCheck?: OnCheck,
): Promise<IntegrationTestResult> {
  if (requested && !snap.runtimes.has(requested)) throw runtimeNotFound(requested);
  const available = targets.filter((t) => t.availability.available).map((t) => t.runtime);
  const runtimeName = pickTestRuntime(places, available, requested, 'the integration');
  const result = await testOn(places, h, name, settings, snap.runtimes.get(runtimeName)!, onCheck).catch(
    (err: unknown) => {
      // No agent to run it (a remote runtime): the commit this test gates can still be made untested.
      if (!(err instanceof UnavailableError)) throw err;
      throw new UnavailableError(`${err.message} Nothing was committed.`, {
        cause: err,
        hints: [...err.hints, 'Or commit without testing: --skip-test.'],
        details: [...err.details],
      });
    },
  );
  if (!result.ok) {
    const failed = result.checks.filter((c) => !c.ok && !c.skipped);
    const first = failed[0];
    throw new CheckFailedError(
      `Connection test failed on runtime "${runtimeName}"${first ? `: ${first.message}` : ''}. Nothing was committed.`,
      result,
      {
        hints: [
          ...(first?.hints ?? []),
          'Fix the settings and try again, or pass --skip-test to commit without testing.',
        ],
      },
    );
  }
  return result;
}
