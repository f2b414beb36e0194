import { BIN, baseEnv } from '../test/helpers/imagetrail.js';
import { timeInterleaved, timeProcess } from './lib/proc.js';
import { ms, ratio, summarize, table, verdict } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';

/** `imagetrail --version` vs `node -e 0`, whole processes, interleaved. Budget ≤ 1.5×. */
export const cliStart: Benchmark = {
  name: 'cli',
  title: 'CLI start: `imagetrail --version` vs `node -e 0`',
  async run(ctx) {
    const runs = ctx.quick ? 10 : 30;
    const env = baseEnv();
    const node = process.execPath;
    const samples = await timeInterleaved(
      {
        'node -e 0': () => timeProcess(node, ['-e', '0'], { env }),
        'imagetrail --version': () => timeProcess(node, [BIN, '--version'], { env }),
        'imagetrail --help': () => timeProcess(node, [BIN, '--help'], { env }),
      },
      runs,
      3,
    );
    const ref = summarize(samples['node -e 0']!);
    const rows = Object.entries(samples).map(([name, s]) => {
      const x = summarize(s);
      return [`\`${name}\``, x.n, ms(x.p50), ms(x.p95), ratio(x.p50, ref.p50)];
    });
    const version = summarize(samples['imagetrail --version']!);
    const r = version.p50 / ref.p50;
    const markdown = [
      table(['command', 'runs', 'p50', 'p95', 'p50 / `node -e 0`'], rows),
      '',
      `Budget: \`imagetrail --version\` ≤ 1.5 × \`node -e 0\` — measured ${r.toFixed(2)}×, ${verdict(r <= 1.5)}. ` +
        'Whole processes (`node bin/imagetrail …` from spawn to exit, as a shell runs it), interleaved A/B/C so noise ' +
        'hits all alike, after 3 untimed rounds. `--help` is shown for information (it builds the whole command tree).',
    ].join('\n');
    return { markdown, data: { samples } };
  },
};
