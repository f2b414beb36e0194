import { runAction } from './main.js';

// dist/action.js: the entry action.yml names. Everything goes to stdout, where the runner reads commands.
process.exitCode = await runAction(
  process.env,
  (s) => void process.stdout.write(s.endsWith('\n') ? s : s + '\n'),
);
