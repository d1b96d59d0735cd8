// A session's forcedVideoCodec and allowTranscoding, seen from the unmodified
// openvidu-browser 2.32.2 in headless Chromium (the pages and driver of
// openvidu-browser.test.js) against a real plenum master with its embedded
// media node. Sessions are created over REST by openvidu-node-client 2.32.2.
//
// For each forced codec (H264, VP8, VP9, and MEDIA_SERVER_PREFERRED, which is
// VP8 as on Kurento) a publisher page and a SUBSCRIBER page: the subscriber
// decodes the video, and getStats() names the forced codec (the codecId of the
// publisher's outbound-rtp and of the subscriber's inbound-rtp), while the
// node's answers (REST ?webRtcStats=true, localSdp) carry only that codec and
// its RTX. Headless Chromium encodes H.264 with OpenH264 and decodes it with
// FFmpeg, so the H.264 case runs for real. The refusals are checked with a
// page whose offers leave H.264 out (setCodecPreferences), as a browser
// without H.264 would: without transcoding it can neither publish nor
// subscribe (OpenVidu's error 800); with transcoding allowed it publishes VP8
// and its subscriber receives VP8, since the node forwards and cannot transcode.
//
// Every wait polls page events, getStats or REST with a deadline. A failure
// prints every page's event log and console, the REST view of the session and
// the tail of the master's log.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startPlenum } from './lib/plenum.js';
import { launchChromium, servePages } from './lib/browser.js';
import { OpenViduPage, OPENVIDU_BROWSER_VERSION } from './lib/openvidu-page.js';
import { pollUntil } from './lib/poll.js';
import { is, byPublisher, bySubscriber } from './lib/page-events.js';
import { diagnosedTest } from './lib/diagnosed-test.js';

const require = createRequire(import.meta.url);
const { OpenVidu, OpenViduRole } = require('openvidu-node-client');

/** Signaling round trips on a busy 2-core machine. */
const EVENT_DEADLINE_MS = 15_000;
/** ICE, DTLS and the first decoded frames (OpenH264 in a debug build's company is slow). */
const MEDIA_DEADLINE_MS = 45_000;
const POLL_MS = 500;
const TEST_TIMEOUT_MS = 180_000;

let plenum;
let pages;
let browser;
let ov;
/** The pages and sessions of the running test, for its failure report. */
let pagesThisTest = [];
let sessionsThisTest = [];

before(async () => {
  assert.equal(OPENVIDU_BROWSER_VERSION, '2.32.2');
  plenum = await startPlenum({ OPENVIDU_SECRET: 'e2e-secret-codec' });
  ov = new OpenVidu(plenum.url, plenum.secret);
  ov.enableProdMode();
  pages = await servePages();
  browser = await launchChromium();
});

after(async () => {
  for (const page of pagesThisTest) await page.close();
  await browser?.close();
  await pages?.close();
  if (plenum) assert.equal(await plenum.stop(), 0, 'plenum exits cleanly on SIGTERM');
});

const diagnosed = diagnosedTest(TEST_TIMEOUT_MS, async () => {
  const parts = [];
  for (const page of pagesThisTest) parts.push(await page.diagnostics());
  for (const sessionId of sessionsThisTest) {
    const res = await plenum.request('GET', `/openvidu/api/sessions/${sessionId}?webRtcStats=true`).catch((e) => ({ text: e.message }));
    parts.push(`--- GET /openvidu/api/sessions/${sessionId}?webRtcStats=true: ${res.status} ${res.text}`);
  }
  parts.push('--- plenum log, last lines ---', ...plenum.log().trimEnd().split('\n').slice(-100));
  return parts.join('\n');
});

/** A test whose pages are closed when it ends, passed or not. */
function it(name, fn) {
  return diagnosed(name, async (t) => {
    pagesThisTest = [];
    sessionsThisTest = [];
    try {
      await fn(t);
    } finally {
      for (const page of pagesThisTest) await page.close();
    }
  });
}

/** A session created over REST with `properties`, checked to echo them. */
async function newSession(properties) {
  const session = await ov.createSession(properties);
  sessionsThisTest.push(session.sessionId);
  for (const [key, value] of Object.entries(properties)) assert.equal(session.properties[key], value, key);
  return session;
}

/**
 * A page joined to `session` with a fresh token of `role`; with `refuse`, its offers leave
 * out that video codec from the start (before joining, so also for the streams it finds there).
 */
async function joinedPage(session, name, role, { refuse } = {}) {
  const connection = await session.createConnection({ role });
  const page = await OpenViduPage.open(browser, pages.url, name);
  pagesThisTest.push(page);
  if (refuse) await page.refuseVideoCodec(refuse);
  await page.join(connection.token, name);
  return page;
}

/** Waits until `viewer` is subscribed to `streamId` and decodes it (framesDecoded > 30 and growing); resolves its stats. */
async function decoding(viewer, streamId, { over = 0 } = {}) {
  await viewer.waitForEvent(bySubscriber('subscribed', { streamId }), { what: `subscribed to ${streamId}`, timeoutMs: MEDIA_DEADLINE_MS });
  return pollUntil(
    `[${viewer.name}] ${streamId}: video framesDecoded > ${over + 30} and growing`,
    async () => (await viewer.stats()).subscribers[streamId]?.video ?? null,
    (now, before) => before?.framesDecoded > over + 30 && now?.framesDecoded > before.framesDecoded,
    { deadlineMs: MEDIA_DEADLINE_MS, pollMs: POLL_MS },
  );
}

/** The encoding names of the video m-line's payload types in `sdp`, in order (e.g. ['H264', 'rtx']). */
function videoCodecs(sdp) {
  const section = sdp.split(/\r?\n(?=m=)/).find((s) => s.startsWith('m=video')) ?? '';
  const formats = section.split(/\r?\n/)[0].split(' ').slice(3);
  return formats.map((pt) => new RegExp(`^a=rtpmap:${pt} ([^/]+)/`, 'm').exec(section)?.[1] ?? `?${pt}`);
}

/** The node's answers to `publisherId`'s publisher endpoint and to `viewerId`'s subscription, from REST. */
async function answers(sessionId, publisherId, viewerId) {
  const res = await plenum.request('GET', `/openvidu/api/sessions/${sessionId}?webRtcStats=true`);
  assert.equal(res.status, 200);
  const connection = (id) => res.json.connections.content.find((c) => c.connectionId === id);
  return { publisher: connection(publisherId).publishers[0].localSdp, subscriber: connection(viewerId).subscribers[0].localSdp };
}

/** Only `codec` (and RTX for it) in the video section of `sdp`. */
function assertOnly(sdp, codec, what) {
  const names = new Set(videoCodecs(sdp));
  names.delete('rtx');
  assert.deepEqual([...names], [codec], `${what}: video codecs of\n${sdp}`);
}

/**
 * A publisher and a SUBSCRIBER page in a new session with `properties`; the viewer decodes
 * the published video. Resolves {session, publisher, viewer, streamId}.
 */
async function publishedAndDecoded(properties, { refuse } = {}) {
  const session = await newSession(properties);
  const publisher = await joinedPage(session, 'publisher', OpenViduRole.PUBLISHER, { refuse });
  const viewer = await joinedPage(session, 'viewer', OpenViduRole.SUBSCRIBER);
  const { streamId } = await publisher.publish();
  await viewer.waitForEvent(is('streamCreated', { streamId }), { what: 'streamCreated', timeoutMs: EVENT_DEADLINE_MS });
  await decoding(viewer, streamId);
  return { session, publisher, viewer, streamId };
}

/** The video codec mimeTypes the publisher sends and the viewer receives `streamId` in. */
async function negotiated(publisher, viewer, streamId) {
  const sent = (await publisher.stats()).publisher?.video?.codec;
  const received = (await viewer.stats()).subscribers[streamId]?.video?.codec;
  return { sent, received };
}

for (const [forcedVideoCodec, codec] of [
  ['H264', 'H264'],
  ['VP8', 'VP8'],
  ['VP9', 'VP9'],
  ['MEDIA_SERVER_PREFERRED', 'VP8'],
]) {
  it(`forcedVideoCodec ${forcedVideoCodec}: the stream is sent and received in ${codec}`, async () => {
    const { session, publisher, viewer, streamId } = await publishedAndDecoded({ forcedVideoCodec, allowTranscoding: false });
    assert.deepEqual(await negotiated(publisher, viewer, streamId), { sent: `video/${codec}`, received: `video/${codec}` });
    const sdps = await answers(session.sessionId, publisher.connectionId, viewer.connectionId);
    assertOnly(sdps.publisher, codec, "the node's answer to the publisher");
    assertOnly(sdps.subscriber, codec, "the node's answer to the subscriber");
  });
}

it('forcedVideoCodec H264: both kinds of reconnectStream stay in H.264', async () => {
  const { session, publisher, viewer, streamId } = await publishedAndDecoded({ forcedVideoCodec: 'H264' });
  const before = (await viewer.stats()).subscribers[streamId].video.framesDecoded;
  await publisher.reconnectPublisher();
  // The subscription stays; frames from the publisher's new endpoint keep it decoding.
  const afterPublisher = await decoding(viewer, streamId, { over: before });
  await viewer.reconnectSubscriber(streamId);
  await decoding(viewer, streamId, { over: afterPublisher.framesDecoded });
  assert.deepEqual(await negotiated(publisher, viewer, streamId), { sent: 'video/H264', received: 'video/H264' });
  const sdps = await answers(session.sessionId, publisher.connectionId, viewer.connectionId);
  assertOnly(sdps.publisher, 'H264', "the node's answer to the reconnected publisher");
  assertOnly(sdps.subscriber, 'H264', "the node's answer to the reconnected subscriber");
});

/**
 * The JSON-RPC error {code, message} at the end of an error the page recorded: openvidu-browser
 * rejects with 'Error on <method> : <JSON>' (receiveVideoFrom, an Error) or 'Error on publishVideo:
 * <JSON>' (a string, which the page records as `rejected with "<JSON string>"`).
 */
function rpcError(message) {
  const quoted = /^rejected with ("(?:[^"\\]|\\.)*")$/s.exec(message);
  const text = quoted ? JSON.parse(quoted[1]) : message;
  const json = /^Error on \w+ ?: (\{.*\})$/s.exec(text)?.[1];
  assert.ok(json, `a JSON-RPC error in: ${message}`);
  return JSON.parse(json);
}

it('forcedVideoCodec H264 without transcoding: a browser without H.264 can neither subscribe nor publish (error 800)', async () => {
  const session = await newSession({ forcedVideoCodec: 'H264', allowTranscoding: false });
  const camera = await joinedPage(session, 'camera', OpenViduRole.PUBLISHER);
  const { streamId } = await camera.publish();
  const refuser = await joinedPage(session, 'no-h264', OpenViduRole.PUBLISHER, { refuse: 'video/H264' });

  // Its automatic subscription to the camera (made on streamCreated) is refused.
  const failed = await refuser.waitForEvent(bySubscriber('subscribeError', { streamId }), {
    what: 'subscribeError for the camera',
    timeoutMs: MEDIA_DEADLINE_MS,
  });
  const subscribeError = rpcError(failed.message);
  assert.equal(subscribeError.code, 800);
  assert.ok(
    subscribeError.message.startsWith(
      `Error forcing codec: 'H264', for PARTICIPANT: '${refuser.connectionId}' in Session: '${session.sessionId}'. ` +
        "Is publishing: 'false'. Is Subscriber: 'true'. Is Reconnecting: 'false'.\n" +
        'Exception: The specified forced codec H264 is not present in the SDP\nSDP:\nv=0',
    ),
    subscribeError.message,
  );

  await assert.rejects(refuser.publish(), /Error on publishVideo/);
  const refused = await refuser.waitForEvent(byPublisher('publishError'), { what: 'publishError', timeoutMs: EVENT_DEADLINE_MS });
  const publishError = rpcError(refused.message);
  assert.equal(publishError.code, 800);
  assert.ok(
    publishError.message.startsWith(
      `Error forcing codec: 'H264', for PARTICIPANT: '${refuser.connectionId}' in Session: '${session.sessionId}'. ` +
        "Is publishing: 'true'. Is Subscriber: 'false'. Is Reconnecting: 'false'.\n" +
        'Exception: The specified forced codec H264 is not present in the SDP\nSDP:\nv=0',
    ),
    publishError.message,
  );
  const rest = await plenum.request('GET', `/openvidu/api/sessions/${session.sessionId}/connection/${refuser.connectionId}`);
  assert.deepEqual([rest.json.publishers, rest.json.subscribers], [[], []], 'nothing was published or subscribed');
});

it('forcedVideoCodec H264 with transcoding allowed: a browser without H.264 publishes VP8, and its subscriber gets VP8', async () => {
  const { session, publisher, viewer, streamId } = await publishedAndDecoded(
    { forcedVideoCodec: 'H264', allowTranscoding: true },
    { refuse: 'video/H264' },
  );
  assert.deepEqual(await negotiated(publisher, viewer, streamId), { sent: 'video/VP8', received: 'video/VP8' });
  const sdps = await answers(session.sessionId, publisher.connectionId, viewer.connectionId);
  assert.ok(!videoCodecs(sdps.publisher).includes('H264'), sdps.publisher);
  assertOnly(sdps.subscriber, 'VP8', "the node's answer to the subscriber (the codec its publisher sends)");
});
