// The unmodified openvidu-browser 2.32.2 (its browser build from npm) in
// headless Chromium against a real plenum master with its embedded media node,
// over loopback only. Tokens come from openvidu-node-client 2.32.2, the way an
// application server makes them. Each page (pages/openvidu.js, driven through
// lib/openvidu-page.js) records every Session/Publisher/Subscriber event with
// its data; the tests poll those logs with deadlines, never asserting after a
// fixed sleep. A failure prints every page's event log and console, the REST
// view of the session and the tail of the master's log.
//
// Tests run in order. The first four share one session and two pages (join and
// signals, media both ways, unpublish/unsubscribe, disconnect); the others each
// make their own session and pages: moderation from a MODERATOR's page and from
// the REST API, and a client lost without leaving (page closed; page paused so
// that its pings stop while its websocket stays open).
//
// openvidu-browser shows what the server sends only through its events, so the
// reasons checked here are the `reason` of those events: connectionDestroyed
// and streamDestroyed on the other pages, sessionDisconnected and the
// Publisher's streamDestroyed on the affected page. Connection.data is the raw
// "<clientData>%/%<serverData>" string (applications split it themselves).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startPlenum } from './lib/plenum.js';
import { launchChromium, servePages } from './lib/browser.js';
import { OpenViduPage, OPENVIDU_BROWSER_VERSION } from './lib/openvidu-page.js';
import { pollUntil as poll } from './lib/poll.js';
import { is, byPublisher, bySubscriber } from './lib/page-events.js';

const require = createRequire(import.meta.url);
const { OpenVidu, OpenViduRole } = require('openvidu-node-client');

/** Signaling round trips (connect, signals, evictions) on a busy 2-core machine. */
const EVENT_DEADLINE_MS = 15_000;
/** ICE, DTLS and the first decoded frames, with a debug master and several Chromium renderers. */
const MEDIA_DEADLINE_MS = 30_000;
/** openvidu-browser pings every 5 s; the master evicts after 3 missed pings (15 s). */
const LOST_CLIENT_DEADLINE_MS = 25_000;
const POLL_MS = 500;
const TEST_TIMEOUT_MS = 150_000;

let plenum;
let pages;
let browser;
let ov;

/** Pages a failing test reports on: the ones still open and the ones closed during the test. */
const openPages = new Set();
let closedThisTest = [];
/** Pages that outlive the test that opened them (the first tests share two). */
const sharedPages = new Set();
/** Sessions a failing test reports the REST view of. */
let sessionsThisTest = [];

before(async () => {
  assert.equal(OPENVIDU_BROWSER_VERSION, '2.32.2');
  plenum = await startPlenum({ OPENVIDU_SECRET: 'e2e-secret-browser' });
  ov = new OpenVidu(plenum.url, plenum.secret);
  ov.enableProdMode();
  pages = await servePages();
  browser = await launchChromium();
});

after(async () => {
  for (const page of openPages) await page.close();
  await browser?.close();
  await pages?.close();
  if (plenum) assert.equal(await plenum.stop(), 0, 'plenum exits cleanly on SIGTERM');
});

/** `test` with a timeout and, on failure, the page logs, the sessions' REST view and the master's log. */
function it(name, fn) {
  return test(name, { timeout: TEST_TIMEOUT_MS }, async (t) => {
    closedThisTest = [];
    sessionsThisTest = [];
    try {
      await fn(t);
    } catch (error) {
      for (const line of (await diagnostics()).split('\n')) t.diagnostic(line);
      throw error;
    } finally {
      // A failed test leaves no participant behind to disturb the next ones.
      for (const page of openPages) if (!sharedPages.has(page)) await closePage(page);
    }
  });
}

async function diagnostics() {
  const parts = [];
  for (const page of [...openPages, ...closedThisTest]) parts.push(await page.diagnostics());
  for (const sessionId of sessionsThisTest) {
    const res = await plenum.request('GET', `/openvidu/api/sessions/${sessionId}?pendingConnections=true`).catch((e) => ({ text: e.message }));
    parts.push(`--- GET /openvidu/api/sessions/${sessionId}: ${res.status} ${res.text}`);
  }
  parts.push('--- plenum log, last lines ---', ...plenum.log().trimEnd().split('\n').slice(-100));
  return parts.join('\n');
}

/** A REST session; the test's failure report shows it. */
async function newSession() {
  const session = await ov.createSession();
  sessionsThisTest.push(session.sessionId);
  return session;
}

/**
 * A page joined to `session` with a fresh token (openvidu-node-client
 * createConnection, server data `serverData`, role `role`) and clientData `name`.
 */
async function joinedPage(session, name, { role = OpenViduRole.PUBLISHER, serverData = `server-${name}` } = {}) {
  const connection = await session.createConnection({ role, data: serverData });
  assert.match(connection.token, /^ws:\/\/127\.0\.0\.1:\d+\?sessionId=[^&]+&token=tok_/, 'a plain ws token for 127.0.0.1');
  const page = await OpenViduPage.open(browser, pages.url, name);
  openPages.add(page);
  page.serverData = serverData;
  const own = await page.join(connection.token, name);
  assert.equal(own.connectionId, connection.connectionId, `${name}: joined as the connection the token was made for`);
  assert.equal(own.role, role);
  return page;
}

async function closePage(page) {
  openPages.delete(page);
  closedThisTest.push(page);
  await page.close();
}

/** What openvidu-browser shows as Connection.data: clientData and serverData joined by %/%. */
const connectionData = (page) => `${JSON.stringify({ clientData: page.name })}%/%${page.serverData}`;


/** Polls `probe` until `done(value, previous)`; throws with `what` and the last value after `deadlineMs`. */
const pollUntil = (what, probe, done, deadlineMs = EVENT_DEADLINE_MS) => poll(what, probe, done, { deadlineMs, pollMs: POLL_MS });

async function restConnection(sessionId, connectionId) {
  return plenum.request('GET', `/openvidu/api/sessions/${sessionId}/connection/${connectionId}`);
}

/** The REST view of one connection: {status, publishers: [streamId], subscribers: [streamId]}. */
async function restStreams(sessionId, connectionId) {
  const res = await restConnection(sessionId, connectionId);
  return {
    status: res.status,
    publishers: res.json?.publishers?.map((p) => p.streamId) ?? null,
    subscribers: res.json?.subscribers?.map((s) => s.streamId) ?? null,
  };
}

/**
 * Waits until `page`'s automatic subscription to `streamId` has completed
 * (receiveVideoFrom answered) and the stream plays, so that removing the
 * stream next does not race with a subscription still being negotiated.
 */
async function subscribed(page, streamId) {
  await page.waitForEvent(bySubscriber('subscribed', { streamId }), { what: `subscribed to ${streamId}`, timeoutMs: MEDIA_DEADLINE_MS });
  await page.waitForEvent(bySubscriber('streamPlaying', { streamId }), { what: `${streamId} playing`, timeoutMs: MEDIA_DEADLINE_MS });
}

/** Waits until `page` decodes video (framesDecoded > 30 and growing) and receives audio (bytes growing) of `streamId`. */
async function assertReceivesMedia(page, streamId) {
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

// ---------------------------------------------------------------------------
// One session, two participants: join, signals, media, unpublish, disconnect.

let shared; // {session, alice, bob}

it('two participants join a session, see each other and exchange signals (browser and REST)', async () => {
  const session = await newSession();
  const alice = await joinedPage(session, 'alice', { serverData: 'server data of alice' });
  const bob = await joinedPage(session, 'bob', { serverData: '{"user":"bob","seat":2}' });
  shared = { session, alice, bob };
  sharedPages.add(alice).add(bob);

  // Each sees its own connection and the other's, with the clientData%/%serverData openvidu-browser exposes as `data`.
  for (const [page, other] of [
    [alice, bob],
    [bob, alice],
  ]) {
    const own = await page.waitForEvent(is('connectionCreated', { connectionId: page.connectionId }), {
      what: 'connectionCreated for its own connection',
    });
    assert.equal(own.data, connectionData(page));
    const remote = await page.waitForEvent(is('connectionCreated', { connectionId: other.connectionId }), {
      what: `connectionCreated for ${other.name}`,
    });
    assert.equal(remote.data, connectionData(other), `${page.name} sees ${other.name}'s clientData%/%serverData`);
    const [clientData, serverData] = remote.data.split('%/%');
    assert.deepEqual(JSON.parse(clientData), { clientData: other.name });
    assert.equal(serverData, other.serverData);
  }
  const rest = await plenum.request('GET', `/openvidu/api/sessions/${session.sessionId}`);
  assert.equal(rest.status, 200);
  assert.deepEqual(
    rest.json.connections.content.map((c) => [c.connectionId, c.status, c.clientData, c.serverData]).sort(),
    [
      [alice.connectionId, 'active', JSON.stringify({ clientData: 'alice' }), alice.serverData],
      [bob.connectionId, 'active', JSON.stringify({ clientData: 'bob' }), bob.serverData],
    ].sort(),
  );

  // Browser signals: to one connection, to everyone, and back. openvidu-browser's
  // SignalEvent.type is "signal:<type>" whatever the wire type was (it strips and re-adds the prefix).
  await alice.signal([bob.connectionId], 'chat', 'hello bob');
  const chat = await bob.waitForEvent(is('signal', { type: 'signal:chat' }), { what: 'signal "chat" from alice' });
  assert.deepEqual([chat.data, chat.from], ['hello bob', alice.connectionId]);

  await alice.signal(undefined, 'all', 'to everyone');
  for (const page of [alice, bob]) {
    const all = await page.waitForEvent(is('signal', { type: 'signal:all' }), { what: 'signal "all" from alice' });
    assert.deepEqual([all.data, all.from], ['to everyone', alice.connectionId]);
  }
  // alice got "all" after "chat" would have reached her: "chat" went to bob only.
  assert.equal((await alice.events()).filter(is('signal', { type: 'signal:chat' })).length, 0, 'a signal to bob only does not reach alice');

  await bob.signal([alice.connectionId], 'reply', JSON.stringify({ ok: true }));
  const reply = await alice.waitForEvent(is('signal', { type: 'signal:reply' }), { what: 'signal "reply" from bob' });
  assert.deepEqual([reply.data, reply.from], ['{"ok":true}', bob.connectionId]);

  // REST signals: no `from`.
  const toBob = await plenum.request('POST', '/openvidu/api/signal', {
    body: { session: session.sessionId, to: [bob.connectionId], type: 'server', data: 'from the REST API' },
  });
  assert.equal(toBob.status, 200, toBob.text);
  const fromRest = await bob.waitForEvent(is('signal', { type: 'signal:server' }), { what: 'REST signal "server"' });
  assert.deepEqual([fromRest.data, fromRest.from], ['from the REST API', null]);

  const toAll = await plenum.request('POST', '/openvidu/api/signal', {
    body: { session: session.sessionId, type: 'server-all', data: 'everyone' },
  });
  assert.equal(toAll.status, 200, toAll.text);
  for (const page of [alice, bob]) {
    const event = await page.waitForEvent(is('signal', { type: 'signal:server-all' }), { what: 'REST signal "server-all"' });
    assert.deepEqual([event.data, event.from], ['everyone', null]);
  }
  assert.equal((await alice.events()).filter(is('signal', { type: 'signal:server' })).length, 0, 'a REST signal to bob only does not reach alice');
});

it('both publish camera and microphone; each decodes the other (streamCreated, framesDecoded, audio bytes)', async () => {
  assert.ok(shared, 'needs the participants of the previous test');
  sessionsThisTest.push(shared.session.sessionId);
  const { session, alice, bob } = shared;

  const { streamId: aliceStream } = await alice.publish();
  const { streamId: bobStream } = await bob.publish();
  for (const [page, streamId] of [
    [alice, aliceStream],
    [bob, bobStream],
  ]) {
    assert.match(streamId, new RegExp(`^str_CAM_[A-Za-z0-9]{4}_${page.connectionId}$`), `${page.name}'s stream id`);
    await page.waitForEvent(byPublisher('streamCreated', { streamId }), {
      what: 'its publisher dispatches streamCreated',
    });
  }

  for (const [page, other] of [
    [alice, bob],
    [bob, alice],
  ]) {
    const created = await page.waitForEvent(is('streamCreated', { streamId: other.streamId }), {
      what: `streamCreated for ${other.name}'s stream`,
    });
    assert.equal(created.connectionId, other.connectionId, `the stream belongs to ${other.name}'s connection`);
    assert.deepEqual([created.hasAudio, created.hasVideo, created.typeOfVideo], [true, true, 'CAMERA']);
    assert.equal((await page.events()).filter(is('streamCreated', { streamId: page.streamId })).length, 0, 'no session streamCreated for its own stream');
  }

  for (const [page, other] of [
    [alice, bob],
    [bob, alice],
  ]) {
    await subscribed(page, other.streamId);
    await assertReceivesMedia(page, other.streamId);
  }
  assert.deepEqual(
    (await alice.events()).concat(await bob.events()).filter((e) => ['exception', 'subscribeError', 'publishError'].includes(e.event)),
    [],
    'no exception, subscribe or publish error in either page',
  );

  for (const [page, other] of [
    [alice, bob],
    [bob, alice],
  ]) {
    assert.deepEqual(await restStreams(session.sessionId, page.connectionId), {
      status: 200,
      publishers: [page.streamId],
      subscribers: [other.streamId],
    });
  }

  // ?webRtcStats=true: each endpoint's name, SDPs, the candidates both sides trickled, the selected pair and its events.
  const listed = await plenum.request('GET', `/openvidu/api/sessions/${session.sessionId}/connection?webRtcStats=true`);
  assert.equal(listed.status, 200);
  for (const page of [alice, bob]) {
    const connection = listed.json.content.find((c) => c.connectionId === page.connectionId);
    assert.equal(connection.publishers.length + connection.subscribers.length, 2, `${page.name} publishes once and subscribes once`);
    for (const endpoint of [...connection.publishers, ...connection.subscribers]) {
      const where = `${page.name}'s endpoint for ${endpoint.streamId}`;
      assert.match(endpoint.webrtcEndpointName, /_kurento\.WebRtcEndpoint$/, where);
      assert.match(endpoint.remoteSdp, /^v=0/, `${where}: the page's offer`);
      assert.match(endpoint.localSdp, /^v=0/, `${where}: the node's answer`);
      for (const list of ['clientIceCandidates', 'serverIceCandidates']) {
        assert.ok(endpoint[list].length > 0, `${where}: ${list}`);
        for (const c of endpoint[list]) assert.match(c.candidate, /^candidate:/, `${where}: ${list} entry`);
      }
      // node-client's fetchWebRtc splits these: [4] address, [5] port, [7] type.
      for (const key of ['localCandidate', 'remoteCandidate']) {
        const parts = endpoint[key].split(/\s+/);
        assert.equal(parts[6], 'typ', `${where}: ${key} = ${endpoint[key]}`);
        assert.match(parts[5], /^\d+$/, `${where}: ${key} port`);
      }
      assert.ok(
        endpoint.serverIceCandidates.some((c) => c.candidate === endpoint.localCandidate),
        `${where}: the selected local candidate is one the node trickled`,
      );
      // The node's media events, as OpenVidu's KmsEvent: {eventType, timestamp, msSinceEndpointCreation, endpoint}.
      const isPublisher = connection.publishers.includes(endpoint);
      const flow = isPublisher ? 'MediaFlowInStateChanged' : 'MediaFlowOutStateChanged';
      const types = endpoint.events.map((e) => e.eventType);
      for (const expected of ['IceGatheringDone', 'NewCandidatePairSelected', flow]) {
        assert.ok(types.includes(expected), `${where}: events include ${expected}: ${types.join(', ')}`);
      }
      for (const event of endpoint.events) {
        assert.deepEqual(Object.keys(event).sort(), ['endpoint', 'eventType', 'msSinceEndpointCreation', 'timestamp'], `${where}: ${JSON.stringify(event)}`);
        assert.ok(event.msSinceEndpointCreation >= 0 && event.timestamp > 1.6e12, `${where}: ${JSON.stringify(event)}`);
        assert.equal(event.endpoint, isPublisher ? endpoint.streamId : `${page.connectionId}_${endpoint.streamId}`);
      }
    }
  }
});

it('reconnectStream: a publisher and a subscriber renegotiate and media keeps flowing', async () => {
  assert.ok(shared, 'needs the participants of the previous test');
  const { alice, bob } = shared;
  await alice.reconnectPublisher();
  await assertReceivesMedia(bob, alice.streamId);
  await bob.reconnectSubscriber(alice.streamId);
  await assertReceivesMedia(bob, alice.streamId);
  assert.deepEqual(
    (await alice.events()).concat(await bob.events()).filter((e) => ['exception', 'subscribeError', 'publishError'].includes(e.event)),
    [],
    'no exception in either page',
  );
});

it('unpublish reaches the other page (streamDestroyed "unpublish"); unsubscribe ends the subscription', async () => {
  assert.ok(shared?.alice.streamId && shared?.bob.streamId, 'needs the published streams of the previous test');
  sessionsThisTest.push(shared.session.sessionId);
  const { session, alice, bob } = shared;
  const aliceStream = alice.streamId;

  await alice.unpublish();
  const destroyed = await bob.waitForEvent(is('streamDestroyed', { streamId: aliceStream }), {
    what: "streamDestroyed for alice's stream",
  });
  assert.deepEqual([destroyed.connectionId, destroyed.reason], [alice.connectionId, 'unpublish']);
  const own = await alice.waitForEvent(byPublisher('streamDestroyed'), {
    what: 'its publisher dispatches streamDestroyed',
  });
  assert.equal(own.reason, 'unpublish');
  await pollUntil(
    'REST: alice publishes nothing and bob subscribes to nothing',
    async () => [await restStreams(session.sessionId, alice.connectionId), await restStreams(session.sessionId, bob.connectionId)],
    ([a, b]) => a.publishers?.length === 0 && b.subscribers?.length === 0,
  );
  alice.streamId = undefined;

  // Unsubscribing is local to alice: bob is not told, but the server drops alice's subscription.
  await alice.unsubscribe(bob.streamId);
  await pollUntil(
    'REST: alice subscribes to nothing, bob still publishes',
    async () => [await restStreams(session.sessionId, alice.connectionId), await restStreams(session.sessionId, bob.connectionId)],
    ([a, b]) => a.subscribers?.length === 0 && b.publishers?.length === 1 && b.publishers[0] === bob.streamId,
  );
  assert.deepEqual(
    (await bob.events()).filter((e) => e.event === 'streamDestroyed' && e.streamId === bob.streamId),
    [],
    'bob sees no streamDestroyed for his own stream',
  );
});

it('disconnect reaches the other page (streamDestroyed and connectionDestroyed "disconnect")', async () => {
  assert.ok(shared, 'needs the participants of the first test');
  sessionsThisTest.push(shared.session.sessionId);
  sharedPages.clear(); // the last test of the shared session: its pages close when it ends
  const { session, alice, bob } = shared;

  await bob.leave();
  const left = await bob.waitForEvent(is('sessionDisconnected'), { what: 'its own sessionDisconnected' });
  assert.equal(left.reason, 'disconnect');
  const gone = await alice.waitForEvent(is('connectionDestroyed', { connectionId: bob.connectionId }), {
    what: "connectionDestroyed for bob's connection",
  });
  assert.equal(gone.reason, 'disconnect');
  if (bob.streamId) {
    // bob was still publishing (the media test passed): his stream goes first, with the same reason.
    const stream = await alice.waitForEvent(is('streamDestroyed', { streamId: bob.streamId }), {
      what: "streamDestroyed for bob's stream",
    });
    assert.equal(stream.reason, 'disconnect');
  }
  await pollUntil(
    'REST: only alice left in the session',
    async () => (await plenum.request('GET', `/openvidu/api/sessions/${session.sessionId}`)).json?.connections?.content?.map((c) => c.connectionId),
    (ids) => ids?.length === 1 && ids[0] === alice.connectionId,
  );

  await alice.leave();
  await alice.waitForEvent(is('sessionDisconnected', { reason: 'disconnect' }), { what: 'its own sessionDisconnected' });
});

// ---------------------------------------------------------------------------
// Moderation from a MODERATOR's page and from the REST API.

it("a MODERATOR's forceDisconnect: connectionDestroyed / sessionDisconnected \"forceDisconnectByUser\"", async () => {
  const session = await newSession();
  const mod = await joinedPage(session, 'mod', { role: OpenViduRole.MODERATOR });
  const pat = await joinedPage(session, 'pat');
  const olga = await joinedPage(session, 'olga');
  await mod.waitForEvent(is('connectionCreated', { connectionId: olga.connectionId }), { what: 'connectionCreated for olga' });

  await mod.forceDisconnect(pat.connectionId);
  const evicted = await pat.waitForEvent(is('sessionDisconnected'), { what: 'its own sessionDisconnected' });
  assert.equal(evicted.reason, 'forceDisconnectByUser');
  for (const page of [mod, olga]) {
    const gone = await page.waitForEvent(is('connectionDestroyed', { connectionId: pat.connectionId }), {
      what: "connectionDestroyed for pat's connection",
    });
    assert.equal(gone.reason, 'forceDisconnectByUser');
  }
  await pollUntil('REST: pat\'s connection is gone (404)', () => restConnection(session.sessionId, pat.connectionId), (res) => res.status === 404);
});

it("a MODERATOR's forceUnpublish: streamDestroyed \"forceUnpublishByUser\" on both pages", async () => {
  const session = await newSession();
  const mod = await joinedPage(session, 'mod', { role: OpenViduRole.MODERATOR });
  const pat = await joinedPage(session, 'pat');
  const { streamId } = await pat.publish();
  await mod.waitForEvent(is('streamCreated', { streamId }), { what: "streamCreated for pat's stream" });
  await subscribed(mod, streamId);

  await mod.forceUnpublish(streamId);
  const destroyed = await mod.waitForEvent(is('streamDestroyed', { streamId }), { what: "streamDestroyed for pat's stream" });
  assert.deepEqual([destroyed.connectionId, destroyed.reason], [pat.connectionId, 'forceUnpublishByUser']);
  const own = await pat.waitForEvent(byPublisher('streamDestroyed'), {
    what: 'its publisher dispatches streamDestroyed',
  });
  assert.equal(own.reason, 'forceUnpublishByUser');
  await pollUntil(
    'REST: pat publishes nothing and is still connected',
    () => restStreams(session.sessionId, pat.connectionId),
    (s) => s.status === 200 && s.publishers?.length === 0,
  );
  assert.equal((await pat.events()).filter(is('sessionDisconnected')).length, 0, 'pat stays in the session');
});

it('REST DELETE of a publishing connection: stream/connectionDestroyed and sessionDisconnected "forceDisconnectByServer"', async () => {
  const session = await newSession();
  const ana = await joinedPage(session, 'ana');
  const ben = await joinedPage(session, 'ben');
  const { streamId } = await ben.publish();
  await ana.waitForEvent(is('streamCreated', { streamId }), { what: "streamCreated for ben's stream" });
  await subscribed(ana, streamId);

  const res = await plenum.request('DELETE', `/openvidu/api/sessions/${session.sessionId}/connection/${ben.connectionId}`);
  assert.equal(res.status, 204, res.text);
  const evicted = await ben.waitForEvent(is('sessionDisconnected'), { what: 'its own sessionDisconnected' });
  assert.equal(evicted.reason, 'forceDisconnectByServer');
  const own = await ben.waitForEvent(byPublisher('streamDestroyed'), { what: 'its publisher dispatches streamDestroyed' });
  assert.equal(own.reason, 'forceDisconnectByServer');
  const stream = await ana.waitForEvent(is('streamDestroyed', { streamId }), { what: "streamDestroyed for ben's stream" });
  assert.equal(stream.reason, 'forceDisconnectByServer');
  const gone = await ana.waitForEvent(is('connectionDestroyed', { connectionId: ben.connectionId }), {
    what: "connectionDestroyed for ben's connection",
  });
  assert.equal(gone.reason, 'forceDisconnectByServer');
  assert.equal((await restConnection(session.sessionId, ben.connectionId)).status, 404, "ben's connection is gone");
});

it('REST DELETE of a stream: streamDestroyed "forceUnpublishByServer" on both pages', async () => {
  const session = await newSession();
  const ana = await joinedPage(session, 'ana');
  const ben = await joinedPage(session, 'ben');
  const { streamId } = await ana.publish();
  await ben.waitForEvent(is('streamCreated', { streamId }), { what: "streamCreated for ana's stream" });
  await subscribed(ben, streamId);

  const res = await plenum.request('DELETE', `/openvidu/api/sessions/${session.sessionId}/stream/${streamId}`);
  assert.equal(res.status, 204, res.text);
  const destroyed = await ben.waitForEvent(is('streamDestroyed', { streamId }), { what: "streamDestroyed for ana's stream" });
  assert.deepEqual([destroyed.connectionId, destroyed.reason], [ana.connectionId, 'forceUnpublishByServer']);
  const own = await ana.waitForEvent(byPublisher('streamDestroyed'), {
    what: 'its publisher dispatches streamDestroyed',
  });
  assert.equal(own.reason, 'forceUnpublishByServer');
  assert.equal((await ana.events()).filter(is('sessionDisconnected')).length, 0, 'ana stays in the session');
});

it('REST DELETE of a session: sessionDisconnected "sessionClosedByServer" on every page', async () => {
  const session = await newSession();
  const ana = await joinedPage(session, 'ana');
  const ben = await joinedPage(session, 'ben');
  await ana.waitForEvent(is('connectionCreated', { connectionId: ben.connectionId }), { what: 'connectionCreated for ben' });

  const res = await plenum.request('DELETE', `/openvidu/api/sessions/${session.sessionId}`);
  assert.equal(res.status, 204, res.text);
  for (const page of [ana, ben]) {
    const closed = await page.waitForEvent(is('sessionDisconnected'), { what: 'its own sessionDisconnected' });
    assert.equal(closed.reason, 'sessionClosedByServer');
  }
  // Whoever is still in the session when another participant is evicted sees that one leave for the same reason.
  for (const page of [ana, ben]) {
    for (const e of (await page.events()).filter((e) => e.event === 'connectionDestroyed')) {
      assert.equal(e.reason, 'sessionClosedByServer', `${page.name}: ${JSON.stringify(e)}`);
    }
  }
  assert.equal((await plenum.request('GET', `/openvidu/api/sessions/${session.sessionId}`)).status, 404);
});

// ---------------------------------------------------------------------------
// A client that goes away without leaving.

it('closing a page without leaving: the other page gets connectionDestroyed "networkDisconnect"', async (t) => {
  const session = await newSession();
  const ana = await joinedPage(session, 'ana');
  const ben = await joinedPage(session, 'ben');
  await ana.waitForEvent(is('connectionCreated', { connectionId: ben.connectionId }), { what: 'connectionCreated for ben' });

  const closedAt = Date.now();
  await closePage(ben);
  const gone = await ana.waitForEvent(is('connectionDestroyed', { connectionId: ben.connectionId }), {
    what: "connectionDestroyed for ben's connection",
    timeoutMs: LOST_CLIENT_DEADLINE_MS,
  });
  t.diagnostic(`connectionDestroyed ${((Date.now() - closedAt) / 1000).toFixed(1)} s after the page closed`);
  assert.equal(gone.reason, 'networkDisconnect');
  await pollUntil("REST: ben's connection is gone (404)", () => restConnection(session.sessionId, ben.connectionId), (res) => res.status === 404);
});

it('a page that stops pinging (paused, socket open): the master evicts it after 3 missed pings, "networkDisconnect"', async (t) => {
  const session = await newSession();
  const ana = await joinedPage(session, 'ana');
  const ben = await joinedPage(session, 'ben');
  await ana.waitForEvent(is('connectionCreated', { connectionId: ben.connectionId }), { what: 'connectionCreated for ben' });

  const frozenAt = Date.now();
  await ben.freeze();
  const gone = await ana.waitForEvent(is('connectionDestroyed', { connectionId: ben.connectionId }), {
    what: "connectionDestroyed for ben's connection",
    timeoutMs: LOST_CLIENT_DEADLINE_MS,
  });
  const elapsed = Date.now() - frozenAt;
  t.diagnostic(`connectionDestroyed ${(elapsed / 1000).toFixed(1)} s after the page stopped`);
  assert.equal(gone.reason, 'networkDisconnect');
  // ben's last ping was at most 5 s before the pause, so 3 missed 5 s intervals take at least 10 s:
  // an earlier eviction would not be the ping watchdog.
  assert.ok(elapsed >= 8_000, `evicted after ${elapsed} ms, before 3 ping intervals could have passed`);
  await pollUntil("REST: ben's connection is gone (404)", () => restConnection(session.sessionId, ben.connectionId), (res) => res.status === 404);
});
