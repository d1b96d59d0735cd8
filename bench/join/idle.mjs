// The master's memory per idle connected participant: PARTICIPANTS signaling
// websockets that joined one session and then only ping, as openvidu-browser
// does between events.
//
// 1. Reads the master's RSS (VmRSS of /proc/PID/status): the empty master.
// 2. Creates one session and PARTICIPANTS connections (tokens) over REST; waits
//    SETTLE seconds; reads the RSS: the baseline "tokens only".
// 3. One websocket to /openvidu?sessionId=<session> sends
//    ping {interval: 5000} and joinRoom {token, session, platform, metadata,
//    sdkVersion}; the RSS after it is reported too (the session's first join
//    also places it on the media node and creates its media pipeline).
// 4. The other PARTICIPANTS - 1 do the same, CONCURRENCY at a time. Every
//    socket keeps pinging every 5 s (without params after the first ping, as
//    openvidu-browser does) and reads every notification (participantJoined of
//    the later ones).
// 5. Waits SETTLE seconds, checks over REST that PARTICIPANTS connections are
//    active, and reads the RSS (several samples, the last one is used).
// KiB per idle participant = (RSS after - RSS tokens only) / PARTICIPANTS.
// VmHWM (peak RSS) shows the transient cost of the joins themselves.
//
// Usage: node bench/join/idle.mjs --url http://127.0.0.1:PORT --secret S --pid MASTER_PID
//   [--participants 1000] [--concurrency 50] [--settle 5] [--out result.json]
// Exits non-zero if a join fails or a socket closes before the end.

import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const E2E = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'e2e');
const requireE2e = createRequire(path.join(E2E, 'package.json'));
const WebSocket = requireE2e('ws');
const wsVersion = requireE2e('ws/package.json').version;

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string' },
    secret: { type: 'string' },
    pid: { type: 'string' },
    participants: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '50' },
    sessions: { type: 'string', default: '1' },
    settle: { type: 'string', default: '5' },
    out: { type: 'string' },
  },
});
if (!opts.url || !opts.secret || !opts.pid) {
  console.error('usage: idle.mjs --url http://127.0.0.1:PORT --secret SECRET --pid MASTER_PID [--participants 1000] [--concurrency 50] [--settle 5] [--out FILE]');
  process.exit(2);
}
const N = Number(opts.participants);
const CONCURRENCY = Number(opts.concurrency);
const SESSIONS = Number(opts.sessions);
const SETTLE_MS = Number(opts.settle) * 1000;
const PING_MS = 5000;
const AUTH = 'Basic ' + Buffer.from(`OPENVIDUAPP:${opts.secret}`).toString('base64');
const WS_URL = opts.url.replace(/^http/, 'ws');

const say = (line) => process.stderr.write(`[idle] ${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** {VmRSS, VmHWM, RssAnon, RssFile, Threads} of the master, KiB (Threads: count). */
function memory() {
  const status = readFileSync(`/proc/${opts.pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1]);
  return {
    rssKiB: field('VmRSS'),
    hwmKiB: field('VmHWM'),
    anonKiB: field('RssAnon'),
    fileKiB: field('RssFile'),
    threads: field('Threads'),
  };
}

/**
 * The master's anonymous memory mappings grouped by size, largest total RSS first:
 * [{sizeKiB, count, rssKiB}] (the top `top` groups). Buffers of 128 KiB and more
 * that glibc serves with mmap show up as many mappings of one size.
 */
function mappingsBySize(top = 6) {
  const groups = new Map();
  let current = null;
  for (const line of readFileSync(`/proc/${opts.pid}/smaps`, 'utf8').split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (header) {
      const name = header[4].trim();
      current = name === '' || name === '[heap]' ? { name: name || 'anon' } : null;
      continue;
    }
    if (!current) continue;
    const size = /^Size:\s+(\d+) kB/.exec(line);
    if (size) current.size = Number(size[1]);
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) {
      const key = current.name === '[heap]' ? '[heap]' : `${current.size}`;
      const group = groups.get(key) ?? { mapping: current.name === '[heap]' ? '[heap]' : `anonymous ${current.size} KiB`, count: 0, rssKiB: 0 };
      group.count++;
      group.rssKiB += Number(rss[1]);
      groups.set(key, group);
    }
  }
  return [...groups.values()].sort((a, b) => b.rssKiB - a.rssKiB).slice(0, top);
}

/** A few samples SPACING ms apart; returns the last and all of them. */
async function sampleMemory(samples = 5, spacing = 200) {
  const all = [];
  for (let i = 0; i < samples; i++) {
    if (i) await sleep(spacing);
    all.push(memory().rssKiB);
  }
  return { ...memory(), samples: all };
}

async function rest(method, urlPath, body) {
  const res = await fetch(`${opts.url}${urlPath}`, {
    method,
    headers: { Authorization: AUTH, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${method} ${urlPath}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Runs `task(i)` for i in [from, to) with at most `limit` in flight. */
async function pool(from, to, limit, task) {
  let next = from;
  const worker = async () => {
    while (next < to) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, to - from) }, worker));
}

/** One participant's socket: ping {interval}, joinRoom, then a ping every 5 s. */
class Participant {
  constructor(index, sessionId, token) {
    this.index = index;
    this.sessionId = sessionId;
    this.token = token;
    this.nextId = 0;
    this.pending = new Map();
    this.notifications = 0;
    this.bytesIn = 0;
    this.closed = null;
    this.timer = null;
  }

  open() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${WS_URL}/openvidu?sessionId=${encodeURIComponent(this.sessionId)}`);
      this.ws = ws;
      ws.once('open', resolve);
      ws.once('error', reject);
      ws.on('message', (data) => this.onMessage(data));
      ws.on('close', (code, reason) => {
        this.closed = { code, reason: reason.toString() };
        clearInterval(this.timer);
        for (const { reject: fail } of this.pending.values()) fail(new Error(`socket closed (${code})`));
        this.pending.clear();
      });
    });
  }

  onMessage(data) {
    this.bytesIn += data.length;
    const message = JSON.parse(data.toString());
    if (message.id !== undefined && this.pending.has(message.id)) {
      const { resolve, reject, method } = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (method === 'joinRoom') this.replyBytes = data.length;
      if (message.error) reject(new Error(`${method}: ${JSON.stringify(message.error)}`));
      else resolve(message.result);
    } else if (message.method) {
      this.notifications++;
    }
  }

  call(method, params) {
    const id = this.nextId++;
    const frame = { jsonrpc: '2.0', method, id };
    if (params) frame.params = params;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.ws.send(JSON.stringify(frame));
    });
  }

  async join() {
    await this.open();
    const firstPing = this.call('ping', { interval: PING_MS });
    const joined = this.call('joinRoom', {
      token: this.token,
      session: this.sessionId,
      platform: 'Plenum bench idle.mjs (Node.js ws)',
      metadata: JSON.stringify({ clientData: `idle-${this.index}` }),
      secret: '',
      recorder: false,
      stt: false,
      sdkVersion: '2.32.2',
    });
    await firstPing;
    const result = await joined;
    this.connectionId = result.id;
    this.othersAtJoin = result.value.length;
    this.timer = setInterval(() => {
      this.call('ping').catch((error) => {
        this.pingError = error.message;
      });
    }, PING_MS);
  }

  close() {
    clearInterval(this.timer);
    this.ws?.terminate();
  }
}

async function main() {
  const empty = await sampleMemory();
  say(`master pid ${opts.pid}: RSS ${empty.rssKiB} KiB empty`);

  // Participant i is in session i % SESSIONS.
  const sessions = [];
  for (let i = 0; i < SESSIONS; i++) sessions.push((await rest('POST', '/openvidu/api/sessions', {})).id);
  const tokens = new Array(N);
  await pool(0, N, 16, async (i) => {
    tokens[i] = (await rest('POST', `/openvidu/api/sessions/${sessions[i % SESSIONS]}/connection`, { role: 'PUBLISHER' })).token;
  });
  await sleep(SETTLE_MS);
  const withTokens = await sampleMemory();
  const mappingsBefore = mappingsBySize();
  say(`${SESSIONS} session(s) with ${N} tokens: RSS ${withTokens.rssKiB} KiB`);

  const participants = tokens.map((token, i) => new Participant(i, sessions[i % SESSIONS], token));
  process.once('SIGINT', () => {
    for (const p of participants) p.close();
    process.exit(130);
  });
  process.once('SIGTERM', () => {
    for (const p of participants) p.close();
    process.exit(143);
  });

  // The first join of a session places it on the media node (its media pipeline).
  await pool(0, SESSIONS, CONCURRENCY, (i) => participants[i].join());
  await sleep(1000);
  const afterFirst = await sampleMemory();
  say(`first participant of each session joined: RSS ${afterFirst.rssKiB} KiB`);

  const started = performance.now();
  let joined = SESSIONS;
  // RSS after every fifth of the joins: growth that speeds up with the session's size is
  // memory kept per participant in proportion to the participants already there.
  const progress = [{ joined, rssKiB: afterFirst.rssKiB }];
  const step = Math.max(1, Math.round(N / 5));
  await pool(SESSIONS, N, CONCURRENCY, async (i) => {
    await participants[i].join();
    joined++;
    if (joined % step === 0) {
      const rssKiB = memory().rssKiB;
      progress.push({ joined, rssKiB });
      say(`${joined} joined, RSS ${rssKiB} KiB`);
    }
  });
  const joinSeconds = (performance.now() - started) / 1000;
  say(`${N} joined in ${joinSeconds.toFixed(1)} s; settling ${SETTLE_MS / 1000} s`);

  // Settle: pings keep going; the participantJoined fan-out drains.
  await sleep(SETTLE_MS);
  let active = 0;
  for (const id of sessions) {
    const view = await rest('GET', `/openvidu/api/sessions/${id}`);
    active += view.connections.content.filter((c) => c.status === 'active').length;
  }
  const after = await sampleMemory(10, 300);
  const mappings = mappingsBySize();
  say(`after ${N} joins and ${SETTLE_MS / 1000} s: RSS ${after.rssKiB} KiB (peak ${after.hwmKiB} KiB), ${active} active connections over REST`);

  const closedEarly = participants.filter((p) => p.closed).length;
  const pingErrors = participants.filter((p) => p.pingError).length;
  const extensions = participants[0].ws.extensions || '(none)';
  const notifications = participants.reduce((sum, p) => sum + p.notifications, 0);
  const bytesIn = participants.reduce((sum, p) => sum + p.bytesIn, 0);
  for (const p of participants) p.close();

  const perParticipant = (after.rssKiB - withTokens.rssKiB) / N;
  const perLater = (after.rssKiB - afterFirst.rssKiB) / (N - SESSIONS);
  const result = {
    participants: N,
    concurrency: CONCURRENCY,
    settleSeconds: SETTLE_MS / 1000,
    ws: wsVersion,
    wsExtensions: extensions,
    sessions: SESSIONS,
    sessionIds: sessions.length <= 5 ? sessions : [...sessions.slice(0, 5), '...'],
    memory: { empty, withTokens, afterFirst, after },
    mappingsBefore,
    mappingsAfter: mappings,
    tokensKiBEach: (withTokens.rssKiB - empty.rssKiB) / N,
    firstJoinsKiB: afterFirst.rssKiB - withTokens.rssKiB,
    perParticipantKiB: perParticipant,
    perLaterParticipantKiB: perLater,
    peakOverTokensKiB: after.hwmKiB - withTokens.rssKiB,
    largestJoinReplyBytes: Math.max(...participants.map((p) => p.replyBytes ?? 0)),
    joinSeconds,
    progress,
    activeOverRest: active,
    closedEarly,
    pingErrors,
    notificationsReceived: notifications,
    bytesReceived: bytesIn,
  };
  say(`${perParticipant.toFixed(1)} KiB per idle participant ((${after.rssKiB} - ${withTokens.rssKiB}) / ${N}); ${perLater.toFixed(1)} KiB excluding the first join of each session`);
  const json = JSON.stringify(result, null, 2);
  if (opts.out) writeFileSync(opts.out, json + '\n');
  else process.stdout.write(json + '\n');
  if (active !== N || closedEarly || pingErrors) {
    throw new Error(`expected ${N} active participants: ${active} active over REST, ${closedEarly} sockets closed early, ${pingErrors} ping errors`);
  }
}

try {
  await main();
  process.exit(0);
} catch (error) {
  say(`ERROR: ${error.stack ?? error}`);
  process.exit(1);
}
