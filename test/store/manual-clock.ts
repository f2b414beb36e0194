/** A clock the test moves by hand: `now` for the store under test, `advance` to let time pass. */
export function manualClock(start = Date.parse('2025-01-01T00:00:00.000Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}
