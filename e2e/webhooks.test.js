// Webhooks with the unmodified openvidu-browser 2.32.2 in headless Chromium
// and openvidu-node-client 2.32.2, against a real plenum master that posts
// its events to a real HTTP receiver in this process (lib/webhook-receiver.js),
// over loopback only.
//
// A publisher page and a subscriber page join one session, publish, subscribe,
// signal and leave. The receiver must get every event of that call, each with
// OpenVidu's exact key set and reasons, in the order they happened, with the
// configured headers and `Content-Type: application/json`; and each body minus
// `event` must be the CDR's line for the same event (OpenVidu's cdrTest).
// Then a restart narrows OPENVIDU_WEBHOOK_EVENTS to sessionCreated and only those events arrive.
//
// Every wait polls the receiver, the pages or REST with a deadline.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { diagnosedTest } from './lib/diagnosed-test.js';
import { pollUntil as poll } from './lib/poll.js';
import { is } from './lib/page-events.js';
import { startPlenum, tempDir } from './lib/plenum.js';
import { launchChromium, servePages } from './lib/browser.js';
import { OpenViduPage, OPENVIDU_BROWSER_VERSION } from './lib/openvidu-page.js';
import { startWebhookReceiver } from './lib/webhook-receiver.js';

const require = createRequire(import.meta.url);
const { OpenVidu, OpenViduRole } = require('openvidu-node-client');

const EVENT_DEADLINE_MS = 20_000;
const MEDIA_DEADLINE_MS = 45_000;
const TEST_TIMEOUT_MS = 180_000;

const HEADERS = ['X-Plenum-E2e: webhooks', 'Authorization: Bearer e2e-webhook-token'];

let plenum;
let receiver;
let cdrDir;
let pages;
let browser;
let ov;
const allPages = [];

before(async () => {
  assert.equal(OPENVIDU_BROWSER_VERSION, '2.32.2');
  receiver = await startWebhookReceiver();
  cdrDir = tempDir('plenum-e2e-webhook-cdr-');
  const configFile = path.join(tempDir('plenum-e2e-config-'), 'plenum.env');
  writeFileSync(configFile, '# written by the restart test\n');
  plenum = await startPlenum({
    OPENVIDU_SECRET: 'e2e-secret-webhooks',
    OPENVIDU_WEBHOOK: 'true',
    OPENVIDU_WEBHOOK_ENDPOINT: receiver.url,
    OPENVIDU_WEBHOOK_HEADERS: JSON.stringify(HEADERS),
    OPENVIDU_CDR: 'true',
    OPENVIDU_CDR_PATH: cdrDir,
    OPENVIDU_PRO_CLUSTER_PATH: tempDir('plenum-e2e-cluster-'),
    // The restart test writes the configuration file here.
    PLENUM_CONFIG: configFile,
  });
  ov = new OpenVidu(plenum.url, plenum.secret);
  ov.enableProdMode();
  pages = await servePages();
  browser = await launchChromium();
});

after(async () => {
  for (const page of allPages) await page.close();
  await browser?.close();
  await pages?.close();
  const how = await plenum?.stop();
  await receiver?.close();
  assert.equal(how, 0, 'plenum exits cleanly on SIGTERM');
});

const it = diagnosedTest(TEST_TIMEOUT_MS, diagnostics);

async function diagnostics() {
  const parts = [];
  for (const page of allPages) parts.push(await page.diagnostics().catch((e) => `--- page ${page.name}: ${e.message}`));
  parts.push('--- webhook events received ---', ...receiver.events().map((e) => JSON.stringify(e)));
  if (plenum) parts.push('--- plenum log, last lines ---', ...plenum.log().trimEnd().split('\n').slice(-80));
  return parts.join('\n');
}

const pollUntil = (what, probe, done, deadlineMs = EVENT_DEADLINE_MS) => poll(what, probe, done, { deadlineMs, pollMs: 200 });

/** The events received for `sessionId`, in arrival order. */
const eventsOf = (sessionId) => receiver.events().filter((e) => e.sessionId === sessionId);

/** Waits until an event named `name` matching `fields` has arrived for `sessionId`. */
function arrived(sessionId, name, fields = {}) {
  return pollUntil(
    `webhook ${name} ${JSON.stringify(fields)} for ${sessionId}`,
    async () => eventsOf(sessionId),
    (events) => events.some((e) => e.event === name && Object.entries(fields).every(([k, v]) => e[k] === v)),
  );
}

async function joinedPage(session, name, role) {
  const connection = await session.createConnection({ role, data: `server-${name}` });
  const page = await OpenViduPage.open(browser, pages.url, name);
  allPages.push(page);
  await page.join(connection.token, name);
  return page;
}

/** OpenVidu's key sets (2.16+ code: both participantId and connectionId), with `event`. */
const SESSION = ['event', 'timestamp', 'sessionId', 'uniqueSessionId'];
const ENDED = ['startTime', 'duration', 'reason'];
const PARTICIPANT = [...SESSION, 'participantId', 'connectionId', 'location', 'ip', 'platform', 'clientData', 'serverData'];
const STREAM = [
  ...SESSION,
  'streamId',
  'participantId',
  'connectionId',
  'connection',
  'videoSource',
  'videoFramerate',
  'videoDimensions',
  'audioEnabled',
  'videoEnabled',
];
const KEYS = {
  sessionCreated: SESSION,
  sessionDestroyed: [...SESSION, ...ENDED],
  participantJoined: PARTICIPANT,
  participantLeft: [...PARTICIPANT, ...ENDED],
  webrtcConnectionCreated: STREAM,
  webrtcConnectionDestroyed: [...STREAM, ...ENDED],
  signalSent: [...SESSION, 'from', 'to', 'type', 'data'],
};

function assertKeys(event) {
  const expected = [...KEYS[event.event]];
  if (event.connection === 'INBOUND') expected.push('receivingFrom');
  assert.deepEqual(Object.keys(event).sort(), expected.sort(), `keys of ${JSON.stringify(event)}`);
}

/** The CDR lines so far as {name: fields} (the master writes one file per day). */
function cdrLines() {
  const lines = [];
  for (const file of readdirSync(cdrDir).filter((f) => f.startsWith('CDR.')).sort()) {
    for (const line of readFileSync(path.join(cdrDir, file), 'utf8').split('\n')) {
      if (line.trim()) lines.push(JSON.parse(line));
    }
  }
  return lines;
}

it("a browser call's every event reaches the webhook with OpenVidu's keys and reasons, in order", async () => {
  const session = await ov.createSession();
  const sid = session.sessionId;
  const pub = await joinedPage(session, 'pia', OpenViduRole.PUBLISHER);
  const sub = await joinedPage(session, 'sam', OpenViduRole.SUBSCRIBER);
  const { streamId } = await pub.publish();
  await sub.waitForEvent(is('streamPlaying', { streamId }, 'subscriber'), { what: `${streamId} playing`, timeoutMs: MEDIA_DEADLINE_MS });
  await pub.signal(undefined, 'chat', 'hello webhooks');
  await sub.waitForEvent(is('signal', { type: 'signal:chat', data: 'hello webhooks' }), { what: 'the signal', timeoutMs: EVENT_DEADLINE_MS });
  await sub.leave();
  await arrived(sid, 'participantLeft', { connectionId: sub.connectionId });
  await pub.leave();
  await arrived(sid, 'sessionDestroyed');

  const events = eventsOf(sid);
  const summary = events.map((e) => [e.event, e.connectionId ?? null, e.connection ?? null, e.reason ?? null]);
  assert.deepEqual(summary, [
    ['sessionCreated', null, null, null],
    ['participantJoined', pub.connectionId, null, null],
    ['participantJoined', sub.connectionId, null, null],
    ['webrtcConnectionCreated', pub.connectionId, 'OUTBOUND', null],
    ['webrtcConnectionCreated', sub.connectionId, 'INBOUND', null],
    ['signalSent', null, null, null],
    ['webrtcConnectionDestroyed', sub.connectionId, 'INBOUND', 'disconnect'],
    ['participantLeft', sub.connectionId, null, 'disconnect'],
    ['webrtcConnectionDestroyed', pub.connectionId, 'OUTBOUND', 'disconnect'],
    ['participantLeft', pub.connectionId, null, 'disconnect'],
    ['sessionDestroyed', null, null, 'lastParticipantLeft'],
  ]);
  for (const event of events) assertKeys(event);
  const timestamps = events.map((e) => e.timestamp);
  assert.deepEqual(timestamps, [...timestamps].sort((a, b) => a - b), 'timestamps never go back');
  for (const event of events) {
    assert.equal(event.sessionId, sid);
    assert.match(event.uniqueSessionId, new RegExp(`^${sid}_\\d+$`));
  }

  const byName = (name) => events.find((e) => e.event === name);
  const joined = byName('participantJoined');
  // clientData is what the page passed to session.connect (its metadata object); ip is the socket's peer (no proxy).
  assert.deepEqual([joined.participantId, JSON.parse(joined.clientData), joined.serverData, joined.ip], [
    pub.connectionId,
    { clientData: 'pia' },
    'server-pia',
    '127.0.0.1',
  ]);
  assert.match(joined.platform, /Chrome/);
  const inbound = events.find((e) => e.connection === 'INBOUND');
  assert.deepEqual([inbound.streamId, inbound.receivingFrom, inbound.videoSource], [streamId, pub.connectionId, 'CAMERA']);
  const signal = byName('signalSent');
  assert.deepEqual([signal.from, [...signal.to].sort(), signal.type, signal.data], [
    pub.connectionId,
    [pub.connectionId, sub.connectionId].sort(),
    'signal:chat',
    'hello webhooks',
  ]);
  const destroyed = byName('sessionDestroyed');
  assert.equal(destroyed.startTime, byName('sessionCreated').timestamp);
  assert.equal(destroyed.duration, Math.floor((destroyed.timestamp - destroyed.startTime) / 1000));

  for (const request of receiver.requests) {
    assert.equal(request.method, 'POST');
    assert.equal(request.headers['content-type'], 'application/json', 'Content-Type of every request');
    assert.equal(request.headers['x-plenum-e2e'], 'webhooks', 'the configured headers on every request');
    assert.equal(request.headers.authorization, 'Bearer e2e-webhook-token');
  }
});

it("each webhook body is the CDR's line for the same event, plus the event's name", async () => {
  // The CDR writer flushes on its own thread: wait until it has as many events as the webhook.
  const received = receiver.events();
  const lines = await pollUntil('the CDR catching up with the webhook', async () => cdrLines(), (l) => l.length >= received.length);
  assert.equal(lines.length, received.length, 'the same number of events');
  for (const [i, line] of lines.entries()) {
    const [name] = Object.keys(line);
    const { event, ...fields } = received[i];
    assert.equal(event, name, `event ${i}`);
    assert.deepEqual(fields, line[name], `event ${i} (${name})`);
  }
});

it('after a restart that narrows OPENVIDU_WEBHOOK_EVENTS, only those events are sent', async () => {
  const res = await plenum.request('POST', '/openvidu/api/restart', { body: { OPENVIDU_WEBHOOK_EVENTS: ['sessionCreated'] } });
  assert.equal(res.status, 200, res.text);
  await pollUntil('the restarted master answering', () => plenum.request('GET', '/openvidu/api/health').catch(() => ({})), (r) => r.status === 200);
  const before = receiver.events().length;
  const session = await ov.createSession();
  await session.close();
  // A second session after the first one's close: events are sent in order, so once its
  // sessionCreated is here, the first session's sessionDestroyed would have been too.
  const marker = await ov.createSession();
  await arrived(marker.sessionId, 'sessionCreated');
  const names = receiver.events().slice(before).map((e) => [e.event, e.sessionId ?? null]);
  // No sessionDestroyed, and none of the restart's mediaNodeStatusChanged events.
  assert.deepEqual(names, [
    ['sessionCreated', session.sessionId],
    ['sessionCreated', marker.sessionId],
  ]);
  await marker.close();
});
