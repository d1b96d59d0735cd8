// Writes bench/results/join.md from the JSON of first-frame.mjs and idle.mjs.
// Usage: node report.mjs --first-frame FF.json --out join.md
//   [--first-frame-target 500] [--idle-target 50] IDLE.json...
// The first IDLE.json is the one compared with the target. Run metadata comes
// from the environment: JOIN_DATE, JOIN_HARDWARE, JOIN_COMMIT, JOIN_COMMAND,
// JOIN_LOAD, JOIN_NODE. Exits 3 when a target is missed (after writing).

import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'first-frame': { type: 'string' },
    'first-frame-target': { type: 'string', default: '500' },
    'idle-target': { type: 'string', default: '50' },
    out: { type: 'string' },
  },
});
const ff = JSON.parse(readFileSync(opts['first-frame'], 'utf8'));
const idles = positionals.map((file) => JSON.parse(readFileSync(file, 'utf8')));
const FF_TARGET = Number(opts['first-frame-target']);
const IDLE_TARGET = Number(opts['idle-target']);
const env = (name) => process.env[name] ?? 'unknown';

const ms = (v) => (v === undefined || v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(0));
const kib = (v) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
const mib = (k) => (Number.isFinite(k) ? (k / 1024).toFixed(1) : 'n/a');
const yes = (ok) => (ok ? 'yes' : '**no**');

const ffMet = ff.joinToDecoded.median < FF_TARGET;
const main = idles[0];
const idleMet = main ? main.perParticipantKiB < IDLE_TARGET : false;
const sources = Object.entries(ff.decodedSource)
  .map(([s, n]) => `${s} ${n}`)
  .join(', ');

const lines = [];
const out = (...l) => lines.push(...l);

out(
  '# Join benchmark: first frame and idle participants',
  '',
  `- Date: ${env('JOIN_DATE')}`,
  `- Hardware: ${env('JOIN_HARDWARE')}`,
  `- Commit: ${env('JOIN_COMMIT')}`,
  `- Command: \`${env('JOIN_COMMAND')}\``,
  `- Load average: ${env('JOIN_LOAD')}`,
  `- Software: headless Chromium ${ff.chromium} (${ff.chromiumBinary}, fake camera 640x480 30 fps and microphone) through playwright-core ${ff.playwright}; ` +
    `openvidu-browser ${ff.openviduBrowser}; Node.js ${env('JOIN_NODE')}; ws ${main?.ws ?? 'n/a'}`,
  '- Setup: the release `plenum` master with its embedded media node, on 127.0.0.1, a fresh process for each measurement ' +
    '(clean environment, default settings, so VP8 is forced); the browser, the scripts and the master share the 2 cores.',
  '',
  '## Summary',
  '',
  '| measurement | result | target | met |',
  '| --- | ---: | ---: | :---: |',
  `| joinRoom → first decoded remote video frame, median of ${ff.runs} fresh subscribers | ${ms(ff.joinToDecoded.median)} ms (p90 ${ms(ff.joinToDecoded.p90)} ms) | < ${FF_TARGET} ms | ${yes(ffMet)} |`,
);
if (main) {
  out(
    `| master RSS per idle connected participant, ${main.participants} participants in ${main.sessions} session${main.sessions > 1 ? 's' : ''} | ${kib(main.perParticipantKiB)} KiB | < ${IDLE_TARGET} KiB | ${yes(idleMet)} |`,
  );
}

out(
  '',
  '## First frame',
  '',
  `One publisher page publishes; then ${ff.warmup} untimed and ${ff.runs} timed subscriber pages, one at a time, each in a fresh browser ` +
    'context with its page already loaded, call `session.connect(token)` and subscribe to the published stream as soon as ' +
    'openvidu-browser reports it (from the joinRoom result). The clock starts when the page sends `joinRoom` on the signaling websocket ' +
    '(the websocket is already open: connect() opens it and sends the first ping just before) and stops at the first decoded frame of the ' +
    "publisher's video. All timestamps come from the subscriber page's own clock (`performance.now()`).",
  '',
  'The interval therefore includes, in order: the joinRoom round trip (token check, the answer listing the published stream), ' +
    "openvidu-browser creating the RTCPeerConnection and its SDP offer, the `receiveVideoFrom` round trip (the master asks the media node " +
    'for a WebRtcEndpoint, connects it to the publisher, processes the offer and starts ICE gathering, then answers), trickle ICE both ways ' +
    'and the ICE connectivity checks on loopback, the DTLS handshake and SRTP keys, then the keyframe request: once the subscriber ' +
    "endpoint is connected (DTLS done) the media node sends a PLI to the publisher (at most one per 500 ms per publisher), the publisher's " +
    "encoder produces a keyframe at its next frame (30 fps), the node forwards it, and the subscriber decodes it (VP8; a PLI the " +
    'subscriber sends itself is relayed the same way). Page loading and browser-context creation are not included; the publisher is already sending.',
  '',
  'The first decoded frame is taken from two sources, both upper bounds of the true moment, and the earlier is used (' +
    `${sources}): requestVideoFrameCallback on the subscriber's <video> (its metadata gives the arrival time of the frame's last packet ` +
    'plus the decode duration, but it describes the first frame *presented*, which can be a later one), and a getStats() poll every ' +
    `${ff.pollMs} ms for inbound-rtp video \`framesDecoded >= 1\` (Chromium serves getStats from a cache for up to 50 ms, so this one is coarse).`,
  '',
  '| interval | median ms | p90 ms | min ms | max ms |',
  '| --- | ---: | ---: | ---: | ---: |',
);
const row = (label, s) => out(`| ${label} | ${ms(s?.median)} | ${ms(s?.p90)} | ${ms(s?.min)} | ${ms(s?.max)} |`);
row('**joinRoom sent → first decoded frame**', ff.joinToDecoded);
row('connect() called → first decoded frame (adds the websocket opening)', ff.connectToDecoded);
row('joinRoom sent → first frame handed to the compositor (rVFC presentationTime)', ff.joinToPresented);
row('joinRoom sent → getStats shows framesDecoded >= 1 (cross-check)', ff.joinToStatsDecoded);

out('', 'Where the time goes: each step as ms after joinRoom was sent, over the timed runs.', '', '| step | median ms | p90 ms | min ms | max ms |', '| --- | ---: | ---: | ---: | ---: |');
for (const stage of ff.stages) row(stage.label, stage);

out(
  '',
  '### Every run',
  '',
  '| run | joinRoom → decoded ms | from | joinRoom answered | SDP answer | ICE connected | DTLS done | first frame received | subscriber PLIs |',
  '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
);
for (const r of ff.every) {
  const m = r.marks;
  out(
    `| ${r.run} | ${ms(r.joinToDecodedMs)} | ${r.source} | ${ms(m['joinRoom:reply'])} | ${ms(m['receiveVideoFrom:reply'])} | ${ms(m['ice:connected'])} | ${ms(m['dtls:connected'])} | ${ms(m['frame:received'])} | ${r.details?.stats?.pliCount ?? 'n/a'} |`,
  );
}

if (idles.length) {
  out(
    '',
    '## Idle participants',
    '',
    'A Node.js script (ws) creates the sessions and one connection (token) per participant over REST, then opens one websocket per ' +
      'participant to `/openvidu?sessionId=…`, sends `ping {interval: 5000}` and `joinRoom {token, session, platform, metadata, sdkVersion}`, ' +
      `${main.concurrency} at a time, and keeps pinging every 5 s (as openvidu-browser does); it reads every notification the master sends. ` +
      'RSS is VmRSS of `/proc/<master pid>/status`. The first participant of each session joins before the others (that join places the ' +
      'session on the media node). After all have joined and ' +
      `${main.settleSeconds} s have passed, every participant is checked to be active over REST and the RSS is read.`,
    '',
    '**KiB per idle participant = (RSS after all joined − RSS with the tokens only) / participants.** The same without the first join of ' +
      'each session is given too; peak is VmHWM.',
    '',
    '| participants | sessions | RSS empty master MiB | + tokens MiB | + first join(s) MiB | all joined, settled MiB | peak MiB | **KiB per participant** | KiB per participant after the first joins | tokens KiB each | largest joinRoom answer bytes | notifications received | join time s |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const r of idles) {
    const m = r.memory;
    out(
      `| ${r.participants} | ${r.sessions} | ${mib(m.empty.rssKiB)} | ${mib(m.withTokens.rssKiB)} | ${mib(m.afterFirst.rssKiB)} | ${mib(m.after.rssKiB)} | ${mib(m.after.hwmKiB)} | **${kib(r.perParticipantKiB)}** | ${kib(r.perLaterParticipantKiB)} | ${kib(r.tokensKiBEach)} | ${r.largestJoinReplyBytes} | ${r.notificationsReceived} | ${r.joinSeconds.toFixed(1)} |`,
    );
  }
  out(
    '',
    `With every participant in one session, each join is announced to all who joined before (participantJoined: ${main.notificationsReceived} ` +
      "notifications in all) and each joinRoom answer lists everyone already there, so the answers grow with the session; with smaller " +
      "sessions both stay small. Websocket extensions negotiated: " +
      `${main.wsExtensions}. RSS samples after settling (KiB): ${main.memory.after.samples.join(', ')}.`,
    '',
    'RSS while the participants join (KiB added per participant in each stretch; a rising figure means each new participant ' +
      'keeps memory in proportion to the participants already in its session):',
    '',
  );
  for (const r of idles) {
    const steps = (r.progress ?? []).slice(1).map((p, i) => {
      const before = r.progress[i];
      return `${before.joined}→${p.joined}: ${((p.rssKiB - before.rssKiB) / (p.joined - before.joined)).toFixed(1)}`;
    });
    out(`- ${r.sessions} session${r.sessions > 1 ? 's' : ''}: ${steps.join(', ') || 'n/a'}`);
  }
}

const text = lines.join('\n') + '\n';
if (opts.out) writeFileSync(opts.out, text);
else process.stdout.write(text);
process.stderr.write(
  `[report] first frame median ${ms(ff.joinToDecoded.median)} ms (p90 ${ms(ff.joinToDecoded.p90)}), target < ${FF_TARGET}: ${ffMet ? 'met' : 'MISSED'}; ` +
    `idle ${kib(main?.perParticipantKiB)} KiB per participant, target < ${IDLE_TARGET}: ${idleMet ? 'met' : 'MISSED'}\n`,
);
process.exit(ffMet && idleMet ? 0 : 3);
