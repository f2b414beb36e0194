import type { Command } from 'commander';
import { isAppError } from '../domain/errors.js';
import { EXIT, ExitCode, exitCodeFor } from './exit-codes.js';
import { formatError, stdio } from './output.js';
import { VERSION } from '../version.js';

/**
 * The one top-level catch: every command throws the error taxonomy, and the exit code is decided here
 * from it (exit-codes.ts). Commander's own usage errors exit 2.
 */
export async function main(argv: string[]): Promise<number> {
  // Scripts call `--version` to probe for the CLI; it needs no argument parser.
  if (versionOnly(argv)) {
    process.stdout.write(VERSION + '\n');
    return EXIT.ok;
  }
  const { Command, CommanderError } = await import('commander');
  const program = new Command('imagetrail')
    // Subcommands have options of their own (`runtime add --version X.Y.Z`), so root options only count
    // before the subcommand; the shared client options are added to every leaf command below.
    .enablePositionalOptions()
    .description(
      'GitOps image enrichment: registry integrations, image reports from CI, an API and a dashboard.',
    )
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) })
    .showHelpAfterError('(run with --help for usage)');

  // Only the command group being run is loaded (all of them for help), so start-up stays small.
  const first = argv.find((a) => !a.startsWith('-'));
  const wanted =
    first !== undefined && first in COMMANDS ? [first] : versionOnly(argv) ? [] : Object.keys(COMMANDS);
  for (const register of await Promise.all(wanted.map((name) => COMMANDS[name]!()))) register(program);
  addGlobalOptions(program);
  forEachCommand(program, (c) => {
    c.exitOverride();
    if (c.commands.length === 0) addGlobalOptions(c);
  });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      )
        return EXIT.ok;
      return EXIT.usage;
    }
    if (err instanceof ExitCode) return err.code;
    const verbose = argv.includes('--verbose');
    stdio(false).err(formatError(err, verbose));
    return isAppError(err) ? exitCodeFor(err.kind) : EXIT.failed;
  }
}

type Register = (program: Command) => void;

const COMMANDS: Record<string, () => Promise<Register>> = {
  serve: () => import('./commands/serve.js').then((m) => m.registerServe),
  runtime: () => import('./commands/runtime.js').then((m) => m.registerRuntime),
  integration: () => import('./commands/integration.js').then((m) => m.registerIntegration),
  token: () => import('./commands/token.js').then((m) => m.registerToken),
  audit: () => import('./commands/audit.js').then((m) => m.registerAudit),
  config: () => import('./commands/config.js').then((m) => m.registerConfig),
  'report-image': () => import('./commands/report-image.js').then((m) => m.registerReportImage),
  images: () => import('./commands/images.js').then((m) => m.registerImages),
  deployments: () => import('./commands/deployments.js').then((m) => m.registerDeployments),
  reports: () => import('./commands/reports.js').then((m) => m.registerReports),
  inspect: () => import('./commands/inspect.js').then((m) => m.registerInspect),
  status: () => import('./commands/status.js').then((m) => m.registerStatus),
  agent: () => import('./commands/agent.js').then((m) => m.registerAgent),
};

function versionOnly(argv: string[]): boolean {
  return argv.length > 0 && argv.every((a) => a === '--version' || a === '-V');
}

const GLOBAL_OPTIONS: Array<[flags: string, description: string]> = [
  [
    '--server <url>',
    'imagetrail server URL (env IMAGETRAIL_SERVER, then CF_HOST; default: <data-dir>/server.json when --data-dir or IMAGETRAIL_DATA_DIR is given, else the local server registered in ~/.config/imagetrail, else http://127.0.0.1:8080)',
  ],
  [
    '--token <token>',
    'API token (prefer env IMAGETRAIL_TOKEN or --token-file: argv is visible to other users)',
  ],
  ['--token-file <file>', 'read the API token from a file'],
  ['--data-dir <dir>', 'data directory of the local server (env IMAGETRAIL_DATA_DIR)'],
  ['--verbose', 'print causes and stack traces of errors'],
];

/** Adds the client options; a command that defines one itself (the agent's --server, --data-dir) keeps its own. */
function addGlobalOptions(c: Command): void {
  for (const [flags, description] of GLOBAL_OPTIONS) {
    const long = flags.split(' ')[0];
    if (!c.options.some((o) => o.long === long)) c.option(flags, description);
  }
}

function forEachCommand(c: Command, fn: (c: Command) => void): void {
  for (const sub of c.commands) {
    fn(sub);
    forEachCommand(sub, fn);
  }
}
