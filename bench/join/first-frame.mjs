// Time from joinRoom to the first decoded remote video frame, in headless
// Chromium running the unmodified openvidu-browser 2.32.2 against a running
// Plenum master (embedded media node) on loopback.
//
// One publisher page joins and publishes the fake camera (640x480, 30 fps) and
// microphone. Then, RUNS times (after WARMUP untimed runs), a fresh subscriber
// page (its own browser context) joins: openvidu-browser opens the websocket,
// sends joinRoom, learns about the published stream from the joinRoom result,
// subscribes (receiveVideoFrom with its SDP offer), trickles ICE, connects
// (ICE, then DTLS), receives RTP and decodes. The page is loaded before the
// clock starts; all timestamps are taken inside the subscriber page with
// performance.now() (one clock):
//   - WebSocket is wrapped to time each JSON-RPC request as it is sent and its
//     reply as it arrives (before openvidu-browser handles it),
//   - RTCPeerConnection is wrapped to time ICE `connected` and
//     connectionState `connected` (ICE + DTLS done),
//   - requestVideoFrameCallback on the <video> element gives the first presented
//     frame: when its last packet arrived (receiveTime), its decode duration and
//     when it went to the compositor,
//   - a loop polls the subscriber's getStats() every POLL_MS for the video
//     inbound-rtp (packetsReceived > 0, framesDecoded >= 1).
// The result is joinRoom sent -> first decoded frame, taking the earlier of two
// upper bounds: rVFC receiveTime + processingDuration (of the first frame
// *presented*, possibly not the first decoded) and the getStats poll (late by
// the poll interval and Chromium's getStats cache). connect() -> first frame is
// reported too, and every step in between.
//
// Usage: node bench/join/first-frame.mjs --url http://127.0.0.1:PORT --secret S
//   [--runs 20] [--warmup 1] [--poll-ms 5] [--out result.json]
// Prints a summary on stderr and the result as JSON on stdout (or into --out).
// Exits non-zero when a run does not get a frame within the deadline.

import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const E2E = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'e2e');
const { launchChromium, servePages, chromiumBinary } = await import(path.join(E2E, 'lib', 'browser.js'));
const { OpenViduPage, OPENVIDU_BROWSER_VERSION } = await import(path.join(E2E, 'lib', 'openvidu-page.js'));
const requireE2e = createRequire(path.join(E2E, 'package.json'));
const playwrightVersion = requireE2e('playwright-core/package.json').version;

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string' },
    secret: { type: 'string' },
    runs: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '1' },
    'poll-ms': { type: 'string', default: '5' },
    'deadline-ms': { type: 'string', default: '20000' },
    out: { type: 'string' },
  },
});
if (!opts.url || !opts.secret) {
  console.error('usage: first-frame.mjs --url http://127.0.0.1:PORT --secret SECRET [--runs 20] [--warmup 1] [--poll-ms 5] [--out FILE]');
  process.exit(2);
}
const RUNS = Number(opts.runs);
const WARMUP = Number(opts.warmup);
const POLL_MS = Number(opts['poll-ms']);
const DEADLINE_MS = Number(opts['deadline-ms']);
const AUTH = 'Basic ' + Buffer.from(`OPENVIDUAPP:${opts.secret}`).toString('base64');

const say = (line) => process.stderr.write(`[first-frame] ${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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

const newToken = async (sessionId, role) => (await rest('POST', `/openvidu/api/sessions/${sessionId}/connection`, { role })).token;

/**
 * Installed in a freshly loaded subscriber page before it joins: wraps
 * WebSocket.send/message and RTCPeerConnection, and sets up
 * window.__bench.start(token) which joins and times everything.
 */
function instrument(pollMs) {
  const t = {};
  const mark = (key, at = performance.now()) => {
    if (t[key] === undefined) t[key] = at;
  };
  const details = {};
  const pcs = [];

  const pending = new Map(); // JSON-RPC id -> method
  // Our message listener is added in the constructor, before openvidu-browser sets
  // onmessage, so it runs first: the reply marks are the arrival times, not the end of
  // openvidu-browser's own (synchronous) handling of the message.
  const OriginalWebSocket = window.WebSocket;
  window.WebSocket = class extends OriginalWebSocket {
    constructor(...args) {
      super(...args);
      mark('ws:created');
      this.addEventListener('open', () => mark('ws:open'));
      this.addEventListener('message', (event) => {
        const now = performance.now();
        try {
          const message = JSON.parse(event.data);
          if (message.id !== undefined && pending.has(message.id)) {
            mark(`${pending.get(message.id)}:${message.error ? 'error' : 'reply'}`, now);
          } else if (message.method) {
            mark(`${message.method}:received`, now);
          }
        } catch {
          /* not JSON */
        }
      });
    }
  };
  const originalSend = OriginalWebSocket.prototype.send;
  OriginalWebSocket.prototype.send = function send(data) {
    const at = performance.now();
    try {
      const message = JSON.parse(data);
      if (message.method) {
        if (message.id !== undefined) pending.set(message.id, message.method);
        mark(`${message.method}:sent`, at);
      }
    } catch {
      /* not JSON */
    }
    return originalSend.call(this, data);
  };

  const OriginalPC = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends OriginalPC {
    constructor(...args) {
      super(...args);
      mark('pc:created');
      pcs.push(this);
      this.addEventListener('iceconnectionstatechange', () => {
        if (this.iceConnectionState === 'connected' || this.iceConnectionState === 'completed') mark('ice:connected');
      });
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'connected') mark('dtls:connected');
      });
      this.addEventListener('track', (e) => mark(`track:${e.track.kind}`));
    }
  };

  // The first frame the <video> element presents (openvidu-browser adds it under #subscribers).
  new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      for (const node of mutation.addedNodes) {
        const videos = node.tagName === 'VIDEO' ? [node] : node.querySelectorAll ? [...node.querySelectorAll('video')] : [];
        for (const video of videos) {
          if (video.__benchWatched) continue;
          video.__benchWatched = true;
          mark('video:element');
          if (typeof video.requestVideoFrameCallback === 'function') {
            // For a WebRTC source the metadata says when the last packet of the frame
            // arrived (receiveTime, performance.now() clock) and how long decoding took
            // (processingDuration, seconds); presentationTime is when the frame went to
            // the compositor.
            video.requestVideoFrameCallback((now, meta) => {
              details.firstFrame = {
                callbackNow: now,
                width: meta.width,
                height: meta.height,
                receiveTime: meta.receiveTime,
                processingDuration: meta.processingDuration,
                presentationTime: meta.presentationTime,
                rtpTimestamp: meta.rtpTimestamp,
              };
              if (meta.receiveTime !== undefined) {
                mark('frame:received', meta.receiveTime);
                mark('frame:decoded', meta.receiveTime + (meta.processingDuration ?? 0) * 1000);
              }
              mark('frame:presented', meta.presentationTime ?? now);
            });
          }
        }
      }
    }
  }).observe(document.getElementById('subscribers'), { childList: true, subtree: true });

  let polling = false;
  async function poll() {
    polling = true;
    while (t['stats:decoded'] === undefined && polling) {
      for (const pc of pcs) {
        const report = await pc.getStats();
        const at = performance.now();
        report.forEach((s) => {
          if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
          if (s.packetsReceived > 0) mark('stats:firstVideoPacket', at);
          if (s.framesDecoded >= 1) {
            mark('stats:decoded', at);
            details.stats = {
              framesDecoded: s.framesDecoded,
              keyFramesDecoded: s.keyFramesDecoded,
              frameWidth: s.frameWidth,
              frameHeight: s.frameHeight,
              pliCount: s.pliCount,
              firCount: s.firCount,
              nackCount: s.nackCount,
              packetsReceived: s.packetsReceived,
              decoderImplementation: s.decoderImplementation,
            };
          }
        });
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  window.__bench = {
    t,
    details,
    async start(token) {
      poll();
      mark('connect');
      await window.ovTest.join(token, 'bench-subscriber');
      mark('connect:resolved');
    },
    stop() {
      polling = false;
    },
  };
}

function percentile(sorted, p) {
  // nearest rank
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}
function median(sorted) {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}
function summarize(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length) return null;
  return {
    n: sorted.length,
    median: median(sorted),
    p90: percentile(sorted, 90),
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

/** The steps reported, each relative to joinRoom:sent (ms), in the order they usually happen. */
const STAGES = [
  ['joinRoom:reply', 'joinRoom answered (lists the published stream)'],
  ['receiveVideoFrom:sent', 'receiveVideoFrom sent (SDP offer)'],
  ['iceCandidate:received', 'first ICE candidate from the server'],
  ['receiveVideoFrom:reply', 'receiveVideoFrom answered (SDP answer)'],
  ['ice:connected', 'ICE connected'],
  ['dtls:connected', 'DTLS done (connectionState connected)'],
  ['frame:received', 'last packet of the first frame received (rVFC receiveTime)'],
  ['frame:decoded', 'first frame decoded (rVFC receiveTime + processingDuration)'],
  ['frame:presented', 'first frame sent to the compositor (rVFC presentationTime)'],
  ['stats:firstVideoPacket', 'getStats poll: packetsReceived > 0'],
  ['stats:decoded', 'getStats poll: framesDecoded >= 1'],
];

let browser;
let pages;
const open = new Set();
async function shutdown() {
  for (const page of open) await page.close().catch(() => {});
  await browser?.close().catch(() => {});
  await pages?.close().catch(() => {});
}
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stopping = true;
    say(`${signal}: closing the browser`);
    shutdown().finally(() => process.exit(130));
  });
}

async function main() {
  const session = await rest('POST', '/openvidu/api/sessions', {});
  say(`session ${session.id}`);
  pages = await servePages();
  browser = await launchChromium();
  const chromiumVersion = browser.version();

  const publisher = await OpenViduPage.open(browser, pages.url, 'publisher');
  open.add(publisher);
  await publisher.join(await newToken(session.id, 'PUBLISHER'), 'publisher');
  const { streamId } = await publisher.publish();
  // Wait until the publisher really sends video (encoder running, ICE/DTLS up).
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const stats = await publisher.stats();
    if (stats.publisher?.video?.framesEncoded > 30) break;
    if (Date.now() > deadline) throw new Error(`publisher did not start sending: ${JSON.stringify(stats)}\n${await publisher.diagnostics()}`);
    await sleep(200);
  }
  say(`publisher streaming ${streamId}`);
  await sleep(1000);

  const runs = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const warm = i < WARMUP;
    const token = await newToken(session.id, 'SUBSCRIBER');
    const page = await OpenViduPage.open(browser, pages.url, `sub-${i}`);
    open.add(page);
    await page.page.evaluate(instrument, POLL_MS);
    await page.page.evaluate((tk) => {
      window.__benchJoin = window.__bench.start(tk).catch((e) => {
        window.__benchError = String(e?.message ?? e);
      });
    }, token);
    const until = Date.now() + DEADLINE_MS;
    let result;
    let decodedSeenAt;
    for (;;) {
      result = await page.page.evaluate(() => ({
        t: window.__bench.t,
        details: window.__bench.details,
        error: window.__benchError,
        timeOrigin: performance.timeOrigin,
      }));
      if (result.t['stats:decoded'] !== undefined) {
        decodedSeenAt ??= Date.now();
        // requestVideoFrameCallback fires around the same time; give it up to 2 s.
        if (result.t['frame:presented'] !== undefined || Date.now() - decodedSeenAt > 2000) break;
      }
      if (result.error || Date.now() > until) {
        throw new Error(`run ${i}: no decoded frame within ${DEADLINE_MS} ms (${result.error ?? 'no error'}); marks ${JSON.stringify(result.t)}\n${await page.diagnostics()}`);
      }
      await sleep(50);
    }
    await page.page.evaluate(() => window.__bench.stop());
    const origin = result.t['joinRoom:sent'];
    const rel = Object.fromEntries(
      Object.entries(result.t)
        .sort((a, b) => a[1] - b[1])
        .map(([k, v]) => [k, Number((v - origin).toFixed(1))]),
    );
    // Both are upper bounds of the moment the first frame was decoded: the getStats poll
    // sees framesDecoded >= 1 late (poll interval, and Chromium serves getStats from a cache
    // for tens of ms), and requestVideoFrameCallback times the first frame *presented*, which
    // can be a later one than the first decoded. The earlier of the two is the tighter bound.
    const candidates = [
      ['rVFC', rel['frame:decoded']],
      ['getStats', rel['stats:decoded']],
    ].filter(([, v]) => v !== undefined);
    const [source, decoded] = candidates.reduce((a, b) => (b[1] < a[1] ? b : a));
    const run = {
      run: warm ? `warmup-${i + 1}` : i - WARMUP + 1,
      warmup: warm,
      source,
      joinToDecodedMs: decoded,
      connectToDecodedMs: Number((decoded - rel.connect).toFixed(1)),
      joinToPresentedMs: rel['frame:presented'],
      joinToStatsDecodedMs: rel['stats:decoded'],
      // Wall-clock time (ms since the epoch) of joinRoom:sent, to line the marks up with the master's log.
      joinRoomSentEpochMs: Number((result.timeOrigin + origin).toFixed(1)),
      marks: rel,
      details: result.details,
    };
    runs.push(run);
    say(
      `${warm ? 'warm-up' : `run ${run.run}/${RUNS}`}: joinRoom -> decoded ${decoded} ms (${source}; getStats ${rel['stats:decoded']}) ` +
        `[joinRoom reply ${rel['joinRoom:reply']}, SDP answer ${rel['receiveVideoFrom:reply']}, ICE ${rel['ice:connected']}, DTLS ${rel['dtls:connected']}, ` +
        `frame received ${rel['frame:received'] ?? 'n/a'}; subscriber PLIs ${result.details.stats?.pliCount}, FIRs ${result.details.stats?.firCount}]`,
    );
    try {
      await page.leave();
    } catch {
      /* closing anyway */
    }
    await sleep(200);
    open.delete(page);
    await page.close();
    await sleep(300);
  }

  const timed = runs.filter((r) => !r.warmup);
  const stages = STAGES.map(([key, label]) => ({ key, label, ...summarize(timed.map((r) => r.marks[key])) }));
  const result = {
    runs: RUNS,
    warmup: WARMUP,
    pollMs: POLL_MS,
    chromium: chromiumVersion,
    chromiumBinary: chromiumBinary(),
    openviduBrowser: OPENVIDU_BROWSER_VERSION,
    playwright: playwrightVersion,
    publisherStream: streamId,
    joinToDecoded: summarize(timed.map((r) => r.joinToDecodedMs)),
    connectToDecoded: summarize(timed.map((r) => r.connectToDecodedMs)),
    joinToPresented: summarize(timed.map((r) => r.joinToPresentedMs)),
    joinToStatsDecoded: summarize(timed.map((r) => r.joinToStatsDecodedMs)),
    decodedSource: timed.reduce((count, r) => ({ ...count, [r.source]: (count[r.source] ?? 0) + 1 }), {}),
    connectToJoinSent: summarize(timed.map((r) => -r.marks.connect)),
    stages,
    every: runs,
  };
  say(
    `joinRoom -> first decoded frame over ${RUNS} runs: median ${result.joinToDecoded.median.toFixed(1)} ms, p90 ${result.joinToDecoded.p90.toFixed(1)}, ` +
      `min ${result.joinToDecoded.min.toFixed(1)}, max ${result.joinToDecoded.max.toFixed(1)}`,
  );
  const json = JSON.stringify(result, null, 2);
  if (opts.out) writeFileSync(opts.out, json + '\n');
  else process.stdout.write(json + '\n');
}

try {
  await main();
  await shutdown();
} catch (error) {
  if (!stopping) say(`ERROR: ${error.stack ?? error}`);
  await shutdown();
  process.exit(1);
}
