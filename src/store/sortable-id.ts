import { randomBytes } from 'node:crypto';

/**
 * Ids that sort by creation time (milliseconds, then a per-generator counter for ids made in the same
 * millisecond, then randomness so two processes never collide): `rep_lz3k1b2c0000a1b2c3d4e5`. Lowercase
 * base36 and hex only, so byte order and every collation agree on the order.
 */
export function createSortableIdGenerator(prefix: string): (at?: Date) => string {
  let seq = 0;
  return (at = new Date()) => {
    seq = (seq + 1) % 36 ** 4;
    return (
      prefix +
      at.getTime().toString(36).padStart(9, '0') +
      seq.toString(36).padStart(4, '0') +
      randomBytes(5).toString('hex')
    );
  };
}
