// Waiting for a condition instead of sleeping: the tests poll what they can
// observe (page events, getStats, REST) until it holds or a deadline passes.

/**
 * Calls `probe` every `pollMs` until `done(value, previous)` holds and returns that
 * value; throws with `what` and the last value once `deadlineMs` has passed.
 */
export async function pollUntil(what, probe, done, { deadlineMs, pollMs = 500 }) {
  const deadline = Date.now() + deadlineMs;
  let previous;
  for (;;) {
    const value = await probe();
    if (done(value, previous)) return value;
    if (Date.now() >= deadline) throw new Error(`${what}: not reached within ${deadlineMs} ms; last value ${JSON.stringify(value)}`);
    previous = value;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
