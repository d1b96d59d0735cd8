// Records the HTTP calls an OpenVidu Node client makes, without changing the
// client: interceptors are added to the very axios module instance the client
// loads (resolved from the client's own directory, so a nested axios copy is
// found too).

import { createRequire } from 'node:module';

/** Loads `pkg` and the axios it uses; returns {client, calls}. */
export function loadClientWithRecorder(pkg) {
  const require = createRequire(import.meta.url);
  const client = require(pkg);
  const axios = createRequire(require.resolve(pkg))('axios');
  const calls = [];
  const record = (response) => {
    const url = new URL(response.config.url);
    calls.push({
      method: response.config.method.toUpperCase(),
      path: url.pathname + url.search,
      status: response.status,
    });
  };
  axios.interceptors.response.use(
    (response) => {
      record(response);
      return response;
    },
    (error) => {
      // axios < 1 (client 2.14) rejects non-2xx answers: record them as well.
      if (error.response) record(error.response);
      return Promise.reject(error);
    },
  );
  return { client, calls };
}
