// The unmodified openvidu-browser 2.13.0 (its browser build from npm, alias
// openvidu-browser-2-13) in headless Chromium against a real plenum master with
// its embedded media node. openvidu-browser 2.13 reads `role`, `version` and the
// TURN fields (`coturnIp`, `turnUsername`, `turnCredential`) from the token and
// always connects to wss://<token host>/openvidu, so the master runs with TLS
// (its self-signed certificate; Chromium is launched with
// --ignore-certificate-errors, Node with NODE_TLS_REJECT_UNAUTHORIZED=0 for the
// 2.14 client). Tokens for the 2.13 pages come from openvidu-node-client 2.14.0
// (alias openvidu-node-client-2-14), which uses the 2.13-era paths (/api/...);
// the 2.32.2 page gets a plain token from POST /openvidu/api/sessions/{id}/connection.
// The master has one TURN server configured (nothing listens there: loopback
// host candidates carry the media), so that the token's TURN fields are there to
// check.
//
// Tests run in order on one session: the tokens, a 2.13 SUBSCRIBER page joining
// (its role and ICE servers as it took them from the token), a 2.32 page
// publishing to it, a 2.13 PUBLISHER page publishing to both, leaving. Every wait
// polls the pages' event logs, stats or REST with a deadline; a failure prints
// every page's event log and console tail, the REST view of the session and the
// tail of the master's log.

import { before, after } from 'node:test';
import { diagnosedTest } from './lib/diagnosed-test.js';
import { pollUntil as poll } from './lib/poll.js';
import { is, byPublisher, bySubscriber } from './lib/page-events.js';
import assert from 'node:assert/strict';
import { startPlenum } from './lib/plenum.js';
import { servePages } from './lib/browser.js';
import { OpenViduPage, OPENVIDU_BROWSER_VERSION } from './lib/openvidu-page.js';
import { OpenVidu213Page, OPENVIDU_BROWSER_2_13_VERSION, launchChromiumForTls } from './lib/openvidu-2.13-page.js';
import { loadClientWithRecorder } from './lib/requests.js';

// Plenum's certificate is self-signed; the 2.14 client has no option for that.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
// The 2.14 client console.log()s every fetch and has no switch to stop it.
if (!process.env.E2E_CLIENT_LOGS) console.log = () => {};

const { client, calls } = loadClientWithRecorder('openvidu-node-client-2-14');
const { OpenVidu, OpenViduRole } = client;

/** Signaling round trips (connect, events) on a busy 2-core machine. */
const EVENT_DEADLINE_MS = 15_000;
/** ICE, DTLS and the first decoded frames, with a debug master and several Chromium renderers. */
const MEDIA_DEADLINE_MS = 30_000;
const POLL_MS = 500;
const TEST_TIMEOUT_MS = 150_000;

/** The TURN server given to every connection (OPENVIDU_WEBRTC_ICE_SERVERS); 2.13 hard-codes port 3478. */
const TURN = { ip: '127.0.0.1', username: 'e2e-turn-user', credential: 'e2e-turn-pass' };

let plenum;
let pages;
let browser;
let ov;
/** Every page opened, for the failure report and the final cleanup. */
const openPages = new Set();
/** The session of the tests (its REST view goes into failure reports) and the pages and tokens that the tests share. */
const shared = {};

before(async () => {
  assert.equal(OPENVIDU_BROWSER_2_13_VERSION, '2.13.0');
  assert.equal(OPENVIDU_BROWSER_VERSION, '2.32.2');
  plenum = await startPlenum({
    SERVER_SSL_ENABLED: 'true',
    OPENVIDU_SECRET: 'e2e-secret-browser-213',
    OPENVIDU_WEBRTC_ICE_SERVERS: JSON.stringify([`url=turn:${TURN.ip}:3478,username=${TURN.username},credential=${TURN.credential}`]),
  });
  ov = new OpenVidu(plenum.url, plenum.secret);
  pages = await servePages();
  browser = await launchChromiumForTls();
});

after(async () => {
  for (const page of openPages) await page.close();
  await browser?.close();
  await pages?.close();
  if (plenum) assert.equal(await plenum.stop(), 0, 'plenum exits cleanly on SIGTERM');
});

/** `test` with a timeout and, on failure, the page logs, the session's REST view and the master's log. */
const it = diagnosedTest(TEST_TIMEOUT_MS, diagnostics);

async function diagnostics() {
  const parts = [];
  for (const page of openPages) parts.push(await page.diagnostics(60));
  if (shared.session) {
    const path = `/openvidu/api/sessions/${shared.session.sessionId}?pendingConnections=true`;
    const res = await plenum.request('GET', path).catch((e) => ({ text: e.message }));
    parts.push(`--- GET ${path}: ${res.status} ${res.text}`);
  }
  parts.push(`--- openvidu-node-client 2.14 calls: ${calls.map((c) => `${c.method} ${c.path} ${c.status}`).join(', ')}`);
  parts.push('--- plenum log, last lines ---', ...plenum.log().trimEnd().split('\n').slice(-100));
  return parts.join('\n');
}

async function open(Page, name) {
  const page = await Page.open(browser, pages.url, name);
  openPages.add(page);
  return page;
}

/** The pending or active connection whose token is `token`, from the 2.13-era session view. */
async function connectionWithToken(sessionId, token) {
  const res = await plenum.request('GET', `/api/sessions/${sessionId}?pendingConnections=true`);
  assert.equal(res.status, 200, res.text);
  const found = res.json.connections.content.find((c) => c.token === token);
  assert.ok(found, `a connection of ${sessionId} has the token ${token}; tokens: ${res.json.connections.content.map((c) => c.token).join(', ')}`);
  return found;
}

/** The REST view of one connection: {status, role, publishers: [streamId], subscribers: [streamId]}. */
async function restStreams(sessionId, connectionId) {
  const res = await plenum.request('GET', `/openvidu/api/sessions/${sessionId}/connection/${connectionId}`);
  return {
    status: res.json?.status ?? res.status,
    role: res.json?.role ?? null,
    publishers: res.json?.publishers?.map((p) => p.streamId) ?? null,
    subscribers: res.json?.subscribers?.map((s) => s.streamId) ?? null,
  };
}


/** Polls `probe` until `done(value, previous)`; throws with `what` and the last value after `deadlineMs`. */
const pollUntil = (what, probe, done, deadlineMs = EVENT_DEADLINE_MS) => poll(what, probe, done, { deadlineMs, pollMs: POLL_MS });

/** Waits until `page` is subscribed to `streamId` and decodes its video (framesDecoded > 30 and growing) and audio (bytes growing). */
async function assertReceivesMedia(page, streamId) {
  await page.waitForEvent(is('streamCreated', { streamId }), { what: `streamCreated for ${streamId}` });
  await page.waitForEvent(bySubscriber('subscribed', { streamId }), { what: `subscribed to ${streamId}`, timeoutMs: MEDIA_DEADLINE_MS });
  await page.waitForEvent(bySubscriber('streamPlaying', { streamId }), { what: `${streamId} playing`, timeoutMs: MEDIA_DEADLINE_MS });
  const seen = await pollUntil(
    `[${page.name}] remote stream ${streamId}: video framesDecoded > 30 and growing, audio bytesReceived growing`,
    async () => (await page.stats()).subscribers[streamId] ?? null,
    (now, before) =>
      before?.video &&
      before?.audio &&
      before.video.framesDecoded > 30 &&
      now?.video?.framesDecoded > before.video.framesDecoded &&
      before.audio.bytesReceived > 0 &&
      now?.audio?.bytesReceived > before.audio.bytesReceived,
    MEDIA_DEADLINE_MS,
  );
  assert.ok(seen.video.frameWidth > 0 && seen.video.frameHeight > 0, `decoded video has a size: ${JSON.stringify(seen.video)}`);
  return seen;
}

async function assertNoErrors(...list) {
  for (const page of list) {
    const errors = (await page.events()).filter((e) => ['exception', 'subscribeError', 'publishError', 'connectError'].includes(e.event));
    assert.deepEqual(errors, [], `[${page.name}] no exception, connect, subscribe or publish error`);
    const pageErrors = page.console.filter((line) => / page error: /.test(line));
    assert.deepEqual(pageErrors, [], `[${page.name}] no uncaught page error`);
  }
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The 2.13 token form: the plain token, then &role=<role>&version=2.13.0 and the TURN fields. */
const legacyToken = (sessionId, role) =>
  new RegExp(
    `^wss://127\\.0\\.0\\.1:${plenum.port}\\?sessionId=${escape(sessionId)}&token=tok_[A-Za-z0-9]{16}` +
      `&role=${role}&version=2\\.13\\.0&coturnIp=${escape(TURN.ip)}&turnUsername=${escape(TURN.username)}&turnCredential=${escape(TURN.credential)}$`,
  );

it('tokens: openvidu-node-client 2.14 (/api/tokens) gets the 2.13 form, /openvidu/api gets a plain one', async () => {
  const mark = calls.length;
  const session = await ov.createSession();
  shared.session = session;
  const viewerToken = await session.generateToken({ role: OpenViduRole.SUBSCRIBER, data: 'server-viewer' });
  const presenterToken = await session.generateToken({ role: OpenViduRole.PUBLISHER, data: 'server-presenter' });
  assert.deepEqual(
    calls.slice(mark).map((c) => `${c.method} ${c.path} ${c.status}`),
    ['POST /api/sessions 200', 'POST /api/tokens 200', 'POST /api/tokens 200'],
    'the 2.14 client uses the 2.13-era paths',
  );
  assert.match(viewerToken, legacyToken(session.sessionId, 'SUBSCRIBER'));
  assert.match(presenterToken, legacyToken(session.sessionId, 'PUBLISHER'));

  // REST shows the URL the client got, on both path families.
  const viewer = await connectionWithToken(session.sessionId, viewerToken);
  assert.equal(viewer.status, 'pending');
  assert.equal(viewer.role, 'SUBSCRIBER');
  const byId = await plenum.request('GET', `/openvidu/api/sessions/${session.sessionId}/connection/${viewer.connectionId}`);
  assert.equal(byId.json?.token, viewerToken, byId.text);

  const current = await plenum.request('POST', `/openvidu/api/sessions/${session.sessionId}/connection`, {
    body: { role: 'PUBLISHER', data: 'server-camera' },
  });
  assert.equal(current.status, 200, current.text);
  assert.match(
    current.json.token,
    new RegExp(`^wss://127\\.0\\.0\\.1:${plenum.port}\\?sessionId=${escape(session.sessionId)}&token=tok_[A-Za-z0-9]{16}$`),
    '2.16+ tokens stay plain',
  );
  Object.assign(shared, { viewerToken, presenterToken, cameraToken: current.json.token, cameraConnectionId: current.json.connectionId });
  shared.viewerConnectionId = viewer.connectionId;
  shared.presenterConnectionId = (await connectionWithToken(session.sessionId, presenterToken)).connectionId;
});

it('a 2.13 page joins over wss and takes its role, version and ICE servers from the token', async () => {
  assert.ok(shared.viewerToken, 'needs the tokens of the previous test');
  const viewer = await open(OpenVidu213Page, 'viewer-2.13');
  shared.viewer = viewer;
  const own = await viewer.join(shared.viewerToken, 'viewer-2.13');
  assert.equal(own.libraryVersion, '2.13.0');
  assert.equal(own.connectionId, shared.viewerConnectionId, 'joined as the connection the token was made for');
  assert.equal(own.wsUri, `wss://127.0.0.1:${plenum.port}/openvidu`);
  assert.equal(own.role, 'SUBSCRIBER', 'OpenVidu.role, read from the token');
  assert.deepEqual(own.capabilities, { subscribe: true, publish: false, forceUnpublish: false, forceDisconnect: false });
  assert.deepEqual(own.iceServers, [
    { urls: [`stun:${TURN.ip}:3478`] },
    { urls: [`turn:${TURN.ip}:3478`, `turn:${TURN.ip}:3478?transport=tcp`], username: TURN.username, credential: TURN.credential },
  ]);
  assert.ok(
    viewer.console.some((line) => line.includes('openvidu-server version: 2.13.0')),
    `the browser read version=2.13.0 from the token; console:\n${viewer.console.join('\n')}`,
  );
  assert.deepEqual(
    viewer.console.filter((line) => /versions do NOT match/.test(line)),
    [],
    'no version mismatch error',
  );
  const created = await viewer.waitForEvent(is('connectionCreated', { connectionId: own.connectionId }), {
    what: 'connectionCreated for its own connection',
  });
  assert.equal(created.data, `${JSON.stringify({ clientData: 'viewer-2.13' })}%/%server-viewer`);
  assert.deepEqual(await restStreams(shared.session.sessionId, own.connectionId), {
    status: 'active',
    role: 'SUBSCRIBER',
    publishers: [],
    subscribers: [],
  });
  // joinRoom's `platform` is platform.js's description: the page passes for a desktop Chrome (see lib/openvidu-2.13-page.js).
  const rest = await plenum.request('GET', `/openvidu/api/sessions/${shared.session.sessionId}/connection/${own.connectionId}`);
  assert.match(rest.json.platform, /^Chrome \d+[\d.]* on Linux/, 'the platform 2.13 reported in joinRoom');
  await assertNoErrors(viewer);
});

it('a 2.32 page publishes its fake camera; the 2.13 page receives the video', async () => {
  assert.ok(shared.viewer, 'needs the 2.13 page of the previous test');
  const { viewer, session } = shared;
  const camera = await open(OpenViduPage, 'camera-2.32');
  shared.camera = camera;
  const own = await camera.join(shared.cameraToken, 'camera-2.32');
  assert.equal(own.connectionId, shared.cameraConnectionId);
  assert.equal(own.role, 'PUBLISHER');
  await camera.waitForEvent(is('connectionCreated', { connectionId: viewer.connectionId }), { what: 'connectionCreated for the 2.13 viewer' });
  const viewerSees = await viewer.waitForEvent(is('connectionCreated', { connectionId: camera.connectionId }), {
    what: 'connectionCreated for the 2.32 camera',
  });
  assert.equal(viewerSees.data, `${JSON.stringify({ clientData: 'camera-2.32' })}%/%server-camera`);

  const { streamId } = await camera.publish();
  assert.match(streamId, new RegExp(`^str_CAM_[A-Za-z0-9]{4}_${camera.connectionId}$`));
  await camera.waitForEvent(byPublisher('streamCreated', { streamId }), { what: 'its publisher dispatches streamCreated' });
  const created = await viewer.waitForEvent(is('streamCreated', { streamId }), { what: 'streamCreated for the camera' });
  assert.deepEqual(
    [created.connectionId, created.hasAudio, created.hasVideo, created.typeOfVideo],
    [camera.connectionId, true, true, 'CAMERA'],
  );
  await assertReceivesMedia(viewer, streamId);
  assert.deepEqual(await restStreams(session.sessionId, viewer.connectionId), {
    status: 'active',
    role: 'SUBSCRIBER',
    publishers: [],
    subscribers: [streamId],
  });
  await assertNoErrors(viewer, camera);
});

it('a 2.13 page publishes; the 2.13 viewer and the 2.32 page receive its video, and it receives the camera', async () => {
  assert.ok(shared.camera?.streamId, 'needs the pages of the previous tests');
  const { viewer, camera, session } = shared;
  const presenter = await open(OpenVidu213Page, 'presenter-2.13');
  shared.presenter = presenter;
  const own = await presenter.join(shared.presenterToken, 'presenter-2.13');
  assert.equal(own.connectionId, shared.presenterConnectionId);
  assert.equal(own.role, 'PUBLISHER');
  assert.deepEqual(own.capabilities, { subscribe: true, publish: true, forceUnpublish: false, forceDisconnect: false });
  // Joining, it learns of the others and of the camera's stream from the joinRoom result.
  for (const other of [viewer, camera]) {
    await presenter.waitForEvent(is('connectionCreated', { connectionId: other.connectionId }), { what: `connectionCreated for ${other.name}` });
  }

  const { streamId } = await presenter.publish();
  assert.match(streamId, new RegExp(`^str_CAM_[A-Za-z0-9]{4}_${presenter.connectionId}$`));
  await presenter.waitForEvent(byPublisher('streamCreated', { streamId }), { what: 'its publisher dispatches streamCreated' });
  await assertReceivesMedia(viewer, streamId);
  await assertReceivesMedia(camera, streamId);
  await assertReceivesMedia(presenter, camera.streamId);
  assert.deepEqual(await restStreams(session.sessionId, presenter.connectionId), {
    status: 'active',
    role: 'PUBLISHER',
    publishers: [streamId],
    subscribers: [camera.streamId],
  });
  await assertNoErrors(viewer, camera, presenter);
});

it('the 2.13 presenter leaves: the others see its stream and connection go (reason disconnect)', async () => {
  assert.ok(shared.presenter?.streamId, 'needs the pages of the previous tests');
  const { viewer, camera, presenter } = shared;
  await presenter.leave();
  for (const page of [viewer, camera]) {
    const gone = await page.waitForEvent(is('streamDestroyed', { streamId: presenter.streamId }), { what: "streamDestroyed for the presenter's stream" });
    assert.equal(gone.reason, 'disconnect');
    const left = await page.waitForEvent(is('connectionDestroyed', { connectionId: presenter.connectionId }), { what: 'connectionDestroyed for the presenter' });
    assert.equal(left.reason, 'disconnect');
  }
  await presenter.waitForEvent(is('sessionDisconnected'), { what: 'its own sessionDisconnected' });
  await pollUntil(
    'the presenter connection is gone from REST',
    async () => (await restStreams(shared.session.sessionId, presenter.connectionId)).status,
    (status) => status === 404,
  );
  await assertReceivesMedia(viewer, camera.streamId);
  await assertNoErrors(viewer, camera);
});
