import { mkdir } from 'node:fs/promises';
import { InputError } from '../domain/errors.js';

const OPERATOR_CODES = new Set(['EROFS', 'EACCES', 'EPERM', 'ENOENT', 'ENOTDIR', 'EEXIST']);

/**
 * Creates the data directory (mode 0700). A place the process may not write — a read-only root filesystem
 * without the volume mounted, a path under a file — is the operator's to fix, not a bug.
 */
export async function makeDataDir(dataDir: string): Promise<void> {
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (!OPERATOR_CODES.has(code)) throw err;
    throw new InputError(`cannot create the data directory ${dataDir} (${code})`, {
      cause: err,
      hints: [
        'Point --data-dir (or IMAGETRAIL_DATA_DIR) at a directory this user may write.',
        'In a container with a read-only root filesystem, mount a volume there (the image: /var/lib/imagetrail).',
      ],
    });
  }
}
