import { ConflictError, InputError, InternalError, NotFoundError } from '../../domain/errors.js';
import type { ConfigSnapshot, IntegrationEntry, Placement } from '../../config-repo/snapshot.js';
import type { Sharing } from '../input.js';

/**
 * An integration is one file per placement (all runtimes, or one runtime each); these read and name the
 * placements of one name. Which copy a runtime uses (precedence) is `resolveIntegration`'s.
 */

/** Every placement of `name`, or NotFound. */
export function entriesOf(snap: ConfigSnapshot, name: string): IntegrationEntry[] {
  const entries = snap.integrations.filter((e) => e.name === name);
  if (entries.length === 0) throw notFound(name);
  return entries;
}

/** The copy a view describes: the all-runtimes one if present, else the first runtime copy. */
export function primaryEntry(entries: IntegrationEntry[]): IntegrationEntry {
  const e =
    entries.find((x) => x.placement.scope === 'all') ??
    [...entries].sort((a, b) => a.file.localeCompare(b.file))[0];
  if (!e) throw new InternalError('primaryEntry of no entries');
  return e;
}

export function placementsFor(sharing: Sharing): Placement[] {
  if ('allRuntimes' in sharing) return [{ scope: 'all' }];
  return [...new Set(sharing.runtimes)].sort().map((runtime) => ({ scope: 'runtime' as const, runtime }));
}

export function sharingOf(entries: IntegrationEntry[]): Sharing {
  if (entries.some((e) => e.placement.scope === 'all')) return { allRuntimes: true };
  return {
    runtimes: entries
      .map((e) => (e.placement.scope === 'runtime' ? e.placement.runtime : ''))
      .filter(Boolean)
      .sort(),
  };
}

export function sharingText(s: Sharing): string {
  return 'allRuntimes' in s ? 'all runtimes' : `runtimes ${[...new Set(s.runtimes)].sort().join(', ')}`;
}

export function assertNameFree(snap: ConfigSnapshot, name: string): void {
  const existing = snap.integrations.filter((e) => e.name === name);
  if (existing.length > 0) {
    throw new ConflictError(
      `An integration named "${name}" already exists (${existing.map((e) => e.file).join(', ')}).`,
      {
        hints: [`Change it with: imagetrail integration edit ${name} …`, 'Or pick another name.'],
      },
    );
  }
}

export function notFound(name: string): NotFoundError {
  return new NotFoundError(`No integration named "${name}".`, {
    hints: ['See the existing ones with: imagetrail integration list'],
  });
}

export function runtimeNotFound(name: string): InputError {
  return new InputError(`No runtime named "${name}".`, {
    details: [{ path: 'sharing.runtimes', message: `runtime "${name}" does not exist` }],
    hints: [
      'See the runtimes with: imagetrail runtime list',
      `Or add it: imagetrail runtime add ${name} --type hybrid --version X.Y.Z`,
    ],
  });
}
