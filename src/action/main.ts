import { appendFileSync } from 'node:fs';
import { ApiClient } from '../cli/client.js';
import { buildReport, waitFor } from '../cli/commands/report-image.js';
import { ReportView } from '../contract/image-answers.js';
import { EXIT, exitCodeFor } from '../cli/exit-codes.js';
import { formatError, type Output } from '../cli/output.js';
import { InputError, CheckFailedError, isAppError } from '../domain/errors.js';
import { cfVariablesFromInputs, readInput } from './inputs.js';

/**
 * The GitHub Action (action.yml, `runs.using: node24`): reads its inputs the way the runner passes them
 * (INPUT_* variables), builds the report with the CLI's own code, and speaks GitHub's workflow commands:
 * `::add-mask::` for the token, `::warning::`/`::error::` for problems, outputs appended to $GITHUB_OUTPUT.
 * Workflow commands: https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands
 */

type Env = Readonly<Record<string, string | undefined>>;

/** Workflow-command data escaping (%, CR, LF), so a multi-line message stays one command. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function required(env: Env, name: string): string {
  const v = readInput(env, name);
  if (v === undefined) throw new InputError(`The input "${name}" is required.`);
  return v;
}

function writeOutputs(env: Env, outputs: Record<string, string | undefined>): void {
  const file = env['GITHUB_OUTPUT'];
  if (!file) return;
  const lines = Object.entries(outputs)
    .filter((e): e is [string, string] => e[1] !== undefined && !/[\r\n]/.test(e[1]))
    .map(([k, v]) => `${k}=${v}\n`);
  appendFileSync(file, lines.join(''));
}

async function report(env: Env, write: (s: string) => void): Promise<void> {
  const token = required(env, 'imagetrail-token');
  write(`::add-mask::${token}`);
  const server = required(env, 'imagetrail-url');
  const wait = /^(true|1|yes|on)$/i.test(readInput(env, 'wait') ?? 'true');
  const seconds = Number(readInput(env, 'wait-timeout') ?? '300');
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new InputError('The input "wait-timeout" must be a positive number of seconds.');
  const cwd = env['GITHUB_WORKSPACE'] || process.cwd();
  const body = await buildReport({}, cfVariablesFromInputs(env), cwd, (s) =>
    write(s.startsWith('warning: ') ? `::warning::${escapeData(s.slice(9))}` : s),
  );
  // Only the inputs reach the client: no IMAGETRAIL_* or CF_* variable of the runner is read.
  const client = await ApiClient.create({ server, token }, {});
  const key = readInput(env, 'idempotency-key');
  const accepted = await client.call(
    ReportView,
    'POST',
    '/api/v1/image-reports',
    body,
    key ? { 'idempotency-key': key } : undefined,
  );
  write(`Report ${accepted.id} accepted for ${String(body['image'])}.`);
  if (!wait) return writeOutputs(env, { 'report-id': accepted.id, status: accepted.status });
  const out: Output = { json: false, out: write, err: write };
  const done = await waitFor(client, accepted.id, out, seconds * 1000);
  writeOutputs(env, {
    'report-id': done.id,
    status: done.status,
    digest: done.result?.digest,
    'image-id': done.result?.imageId,
  });
  if (done.status === 'failed')
    throw new CheckFailedError(
      `Enrichment of ${done.image} failed: ${done.error?.message ?? 'unknown reason'}`,
      done,
    );
  write(`Enriched ${done.image}: ${done.result?.digest ?? ''}`);
}

/** Runs the Action; returns the exit code (0 ok; otherwise the CLI's code for the error). */
export async function runAction(env: Env, write: (s: string) => void): Promise<number> {
  try {
    await report(env, write);
    return EXIT.ok;
  } catch (err) {
    write(`::error::${escapeData(formatError(err))}`);
    return isAppError(err) ? exitCodeFor(err.kind) : EXIT.failed;
  }
}
