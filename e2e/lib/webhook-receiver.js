// A real webhook receiver for the e2e tests: an HTTP server on 127.0.0.1
// port 0 that records every request (method, path, headers, parsed JSON body)
// in arrival order and answers 200, as an application backend would.

import http from 'node:http';

/** Resolves {url, requests, events(), close()} once listening. */
export async function startWebhookReceiver() {
  const requests = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      let body;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined; // kept as raw text: a test sees what was wrong
      }
      requests.push({ method: req.method, path: req.url, headers: req.headers, raw, body });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    requests,
    /** The bodies received so far that are events, in arrival order. */
    events: () => requests.map((r) => r.body).filter((b) => b && typeof b.event === 'string'),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
