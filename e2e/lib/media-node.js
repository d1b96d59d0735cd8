// Starts a plenum-media-node for one test file.
//
// The binary is PLENUM_MEDIA_NODE_BIN (a relative path is taken from the
// current directory, like any command-line path) or else
// <repo>/target/debug/plenum-media-node. It gets a clean environment (only
// PATH, RUST_LOG and what the test passes) and listens on 127.0.0.1 port 0:
// the websocket URI is read from its one stdout line
// "plenum-media-node listening on ws://127.0.0.1:PORT/kurento". Logs (stderr)
// are kept so that a failing test can print their tail. `stop()` sends SIGINT,
// which the node handles as a clean shutdown (exit 0).

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEFAULT_BIN = path.join(REPO_ROOT, 'target', 'debug', 'plenum-media-node');
const LISTENING = /plenum-media-node listening on (ws:\/\/\S+)/;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
/** Logs beyond this are cut from the front: a debug-level node is chatty. */
const MAX_LOG_CHARS = 4_000_000;

const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function mediaNodeBinary() {
  const configured = process.env.PLENUM_MEDIA_NODE_BIN;
  return configured ? path.resolve(configured) : DEFAULT_BIN;
}

/**
 * Spawns the node and resolves once it printed its websocket URI.
 * @param {{args?: string[], env?: Record<string,string>, listen?: string}} [options] `listen`: the control
 *   address (default `127.0.0.1:0`; a fixed port restarts a node where the master knows it)
 * @returns {Promise<{uri: string, pid: number, log: () => string, tail: (lines?: number) => string,
 *   stop: () => Promise<number|string|null>}>}
 */
export async function startMediaNode({ args = [], env = {}, listen = '127.0.0.1:0' } = {}) {
  const bin = mediaNodeBinary();
  const fullEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    RUST_LOG: process.env.RUST_LOG ?? 'info',
    RUST_BACKTRACE: '1',
    NO_COLOR: '1', // plain log lines in failure reports
    ...env,
  };
  const child = spawn(bin, ['--listen', listen, '--rtc-address', '127.0.0.1', ...args], {
    env: fullEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);

  let stdout = '';
  let stderr = '';
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal);
    });
    child.on('error', (error) => {
      stderr += `\n[harness] cannot run ${bin}: ${error.message}\n`;
      running.delete(child);
      resolve(null);
    });
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    stderr += chunk;
    if (stderr.length > MAX_LOG_CHARS) stderr = stderr.slice(-MAX_LOG_CHARS / 2);
  });
  const uri = new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
      const match = LISTENING.exec(stdout);
      if (match) resolve(match[1]);
    });
    exited.then((how) => reject(new Error(`plenum-media-node exited (${how}) before listening:\n${stdout}${stderr}`)));
  });
  uri.catch(() => {}); // raced below; an exit after listening is not an error here

  const node = {
    uri: '',
    pid: child.pid,
    bin,
    log: () => stdout + stderr,
    tail: (lines = 60) => tail(stdout + stderr, lines),
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        const how = await exited;
        clearTimeout(timer);
        return how;
      }
      return exited;
    },
  };

  let timer;
  try {
    node.uri = await Promise.race([
      uri,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`plenum-media-node did not print its URI within ${START_TIMEOUT_MS} ms:\n${node.log()}`)),
          START_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (error) {
    await node.stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return node;
}

export function tail(text, lines) {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
