import { causeChain, isAppError } from '../domain/errors.js';

/**
 * Where the CLI writes. `--json` output is one document on stdout and nothing else there; everything
 * for humans (progress, errors) goes to stderr. Injected, so tests and the top-level catch share it.
 */
export interface Output {
  json: boolean;
  out(text: string): void;
  err(text: string): void;
}

export function stdio(json: boolean): Output {
  return {
    json,
    out: (t) => void process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
    err: (t) => void process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
  };
}

export function printJson(o: Output, value: unknown): void {
  o.out(JSON.stringify(value, null, 2));
}

/** Error, then "Try this:" hints, then per-field details and the cause chain. */
export function formatError(err: unknown, verbose = false): string {
  const lines: string[] = [];
  if (isAppError(err)) {
    lines.push(`error: ${err.message}`);
    for (const d of err.details) {
      // Details repeat the message for single-field errors; print only what adds a field path.
      if (d.path && !err.message.includes(d.path) && !err.message.includes(d.message))
        lines.push(`  ${d.path}: ${d.message}`);
    }
    if (err.hints.length) {
      lines.push('Try this:');
      for (const h of err.hints) lines.push(`  - ${h}`);
    }
    const chain = causeChain(err.cause);
    if (verbose && chain.length) lines.push(...chain.map((c) => `Caused by: ${c}`));
  } else {
    lines.push(`error: internal error: ${(err as Error)?.message ?? String(err)}`);
    lines.push('This is a bug in imagetrail; please report it with the command you ran.');
    if (verbose && err instanceof Error && err.stack) lines.push(err.stack);
  }
  return lines.join('\n');
}

export interface CheckLike {
  name: string;
  ok: boolean;
  message: string;
  skipped?: boolean;
  hints?: string[];
}

export function formatCheck(c: CheckLike): string {
  const mark = c.ok ? '✔' : c.skipped ? '-' : '✘';
  const hints = !c.ok && c.hints?.length ? '\n' + c.hints.map((h) => indent(h, '      ')).join('\n') : '';
  return `  ${mark} ${c.name.padEnd(31)} ${c.message}${hints}`;
}

function indent(text: string, pad: string): string {
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '))
    .join('\n');
}
