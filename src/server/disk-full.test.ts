import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../domain/errors.js';
import { DiskFullState, isDiskFull } from './disk-full.js';
import { mapError } from './error-handler.js';

// The three forms a full disk takes, as each library reports it (errno, better-sqlite3's SqliteError code,
// node-postgres' DatabaseError with SQLSTATE 53100 disk_full), and that they map to a 503 saying so.
describe('disk full', () => {
  const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const sqlite = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
  const postgres = Object.assign(
    new Error('could not extend file "base/16384/16397": No space left on device'),
    {
      code: '53100',
    },
  );

  it('recognises ENOSPC, SQLITE_FULL and SQLSTATE 53100, also as a cause', () => {
    for (const err of [enospc, sqlite, postgres]) expect(isDiskFull(err)).toBe(true);
    expect(isDiskFull(new UnavailableError('git failed', { cause: enospc }))).toBe(true);
    expect(isDiskFull(Object.assign(new Error('relation does not exist'), { code: '42P01' }))).toBe(false);
    expect(isDiskFull(undefined)).toBe(false);
  });

  it('maps to 503 with a message saying what to do, and the state lasts until cleared', () => {
    const m = mapError(postgres);
    expect(m.status).toBe(503);
    expect(m.message).toContain('out of disk space');
    const state = new DiskFullState();
    expect(state.note(new Error('other'))).toBe(false);
    expect(state.since).toBeUndefined();
    expect(state.note(sqlite)).toBe(true);
    expect(state.since).toBeInstanceOf(Date);
    state.clear();
    expect(state.since).toBeUndefined();
  });
});
