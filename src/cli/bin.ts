import { main } from './main.js';
import { EXIT } from './exit-codes.js';
import { formatError } from './output.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(formatError(err, true) + '\n');
    process.exitCode = EXIT.failed;
  },
);
