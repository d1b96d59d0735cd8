// Starts a Plenum master for one test file and talks plain REST to it.
//
// Every server gets a clean environment (only what the test passes, plus
// loopback and port 0 defaults) so that variables of the calling shell cannot
// change what is being tested. The port is read from the "listening" log line,
// and readiness is the public-URL endpoint answering 200. The binary is
// PLENUM_BIN (a relative path is taken from the repository root; run.sh makes
// it absolute) or else <repo>/target/debug/plenum.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEFAULT_BIN = path.join(REPO_ROOT, 'target', 'debug', 'plenum');
const LISTENING = /Plenum master listening listen=(\S+):(\d+)/;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/** Children still running, killed if the test process goes away first. */
const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    process.kill(process.pid, signal); // our listener is gone: die as asked
  });
}

/** A fresh empty directory, removed when the test process exits. */
export function tempDir(prefix = 'plenum-e2e-') {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Spawns plenum with `env` and resolves once it serves.
 * @returns {Promise<{url: string, port: number, secret: string, tls: boolean,
 *   log: () => string, request: Function, stop: () => Promise<number|null>}>}
 */
export async function startPlenum(env = {}) {
  const bin = process.env.PLENUM_BIN ? path.resolve(REPO_ROOT, process.env.PLENUM_BIN) : DEFAULT_BIN;
  const fullEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    SERVER_ADDRESS: '127.0.0.1',
    SERVER_PORT: '0',
    OPENVIDU_SECRET: 'MY_SECRET',
    PLENUM_LOG: 'info',
    ...env,
  };
  const tls = fullEnv.SERVER_SSL_ENABLED === 'true';
  const child = spawn(bin, [], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);

  let output = '';
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal);
    });
    child.on('error', (error) => {
      output += `\n[harness] cannot run ${bin}: ${error.message}\n`;
      running.delete(child);
      resolve(null);
    });
  });
  const port = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      const match = LISTENING.exec(output);
      if (match) resolve(Number(match[2]));
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    exited.then((how) => reject(new Error(`plenum exited (${how}) before listening:\n${output}`)));
  });

  const server = {
    secret: fullEnv.OPENVIDU_SECRET,
    tls,
    port: 0,
    url: '',
    log: () => output,
    /** Plain REST call; `auth: false` sends no credentials. Resolves {status, headers, text, json}. */
    request: (method, urlPath, options) => rawRequest(server, method, urlPath, options),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        const how = await exited;
        clearTimeout(timer);
        return how;
      }
      return exited;
    },
  };

  try {
    server.port = await withDeadline(port, START_TIMEOUT_MS, () => `plenum did not log its port in time:\n${output}`);
    server.url = `${tls ? 'https' : 'http'}://127.0.0.1:${server.port}`;
    await waitUntilReady(server);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/** Polls the unauthenticated public-URL endpoint until it answers 200. */
async function waitUntilReady(server) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const res = await rawRequest(server, 'GET', '/openvidu/api/config/openvidu-publicurl', { auth: false });
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (error) {
      last = error.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`plenum not ready after ${START_TIMEOUT_MS} ms (${last}):\n${server.log()}`);
}

function withDeadline(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * node:http(s) rather than fetch, so that the self-signed certificate of a TLS
 * server can be accepted for this one loopback request without touching the
 * process-wide TLS settings.
 */
function rawRequest(server, method, urlPath, { body, auth = true } = {}) {
  const headers = {};
  if (auth) headers.Authorization = 'Basic ' + Buffer.from(`OPENVIDUAPP:${server.secret}`).toString('base64');
  let payload;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = Buffer.byteLength(payload);
  }
  const transport = server.tls ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      `${server.url}${urlPath}`,
      { method, headers, rejectUnauthorized: false, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          let json;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Wraps node:test's `test` so that a failing test prints the log of the
 * server(s) it ran against; `servers` is called at failure time.
 */
export function testWithServerLog(test, servers) {
  return (name, fn) =>
    test(name, async (t) => {
      try {
        await fn(t);
      } catch (error) {
        for (const server of servers().filter(Boolean)) {
          t.diagnostic(`--- plenum log (${server.url || 'not listening'}), last lines ---`);
          for (const line of tail(server.log(), 80)) t.diagnostic(line);
        }
        throw error;
      }
    });
}

function tail(text, lines) {
  return text.trimEnd().split('\n').slice(-lines);
}
