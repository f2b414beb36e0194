import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export interface Timed {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a whole process and times it from spawn to exit (what a shell or CI step pays). */
export function timeProcess(
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; stdin?: string; timeoutMs?: number } = {},
): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const p = spawn(command, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    p.on('error', (err) => {
      clearTimeout(t);
      reject(err);
    });
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ ms: performance.now() - started, code, stdout, stderr });
    });
    p.stdin.end(opts.stdin ?? '');
  });
}

/**
 * Times `runs` executions of each command, interleaved (A B A B …) so that machine noise hits all of them
 * alike; `warmup` untimed rounds first (page cache). Throws on a non-zero exit.
 */
export async function timeInterleaved(
  commands: Record<string, () => Promise<Timed>>,
  runs: number,
  warmup = 2,
): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const name of Object.keys(commands)) out[name] = [];
  for (let i = 0; i < warmup + runs; i++) {
    for (const [name, run] of Object.entries(commands)) {
      const r = await run();
      if (r.code !== 0) throw new Error(`${name} exited with ${String(r.code)}: ${r.stderr.slice(0, 2000)}`);
      if (i >= warmup) out[name]!.push(r.ms);
    }
  }
  return out;
}

/** Resident set size and its peak of a process, in bytes (Linux /proc). */
export async function rssOf(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** User and system CPU seconds a process has used so far (Linux /proc, clock ticks of 100 Hz). */
export async function cpuSplitOf(pid: number): Promise<{ user: number; system: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

/** CPU seconds (user + system) a process has used so far (Linux /proc, clock ticks of 100 Hz). */
export async function cpuSecondsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Machine-wide busy and total CPU time so far (seconds, all cores), from /proc/stat. */
export async function machineCpu(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: (total - idle) / 100, total: total / 100 };
}
