// `test` for the browser suites: each test gets a timeout (a hung page or
// process fails it instead of hanging the run) and, when it fails, prints
// what the suite's `diagnostics()` gathers (page logs, REST views, process
// logs) as test diagnostics.

import { test } from 'node:test';

/** Returns `it(name, fn)`: `test` with `timeoutMs` and `diagnostics()` printed on failure. */
export function diagnosedTest(timeoutMs, diagnostics) {
  return (name, fn) =>
    test(name, { timeout: timeoutMs }, async (t) => {
      try {
        await fn(t);
      } catch (error) {
        for (const line of (await diagnostics()).split('\n')) t.diagnostic(line);
        throw error;
      }
    });
}
