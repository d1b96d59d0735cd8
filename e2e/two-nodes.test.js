// Two media nodes in one cluster, with the unmodified openvidu-browser 2.32.2
// (its browser build from npm) in headless Chromium against a real plenum
// master, over loopback only. The master's embedded media node is the first
// node; the second is a real `plenum-media-node` process started by this file
// (lib/media-node.js: `--listen 127.0.0.1:0`, URI read from its stdout) and
// added with `POST /openvidu/api/media-nodes {"uri": ...}`. Tokens come from
// openvidu-node-client 2.32.2.
//
// Sessions are placed on a node at their first join, on the least loaded
// running node. Session A joins first, while the embedded node is the only
// one; then the second node is added, so session B's first join has a real
// choice (the embedded node hosts A, the new one nothing) and must land on the
// new node. Each session has a publisher page and a SUBSCRIBER page that
// decodes its video.
//
// Then the second node is drained: `DELETE ...?deletion-strategy=when-no-sessions`
// answers 202 and the node goes `waiting-idle-to-terminate`. It keeps hosting
// session B (media still flows, and a participant joining B late gets media
// from it) but takes no new session (a new session C lands on the embedded
// node). B's participants leave one by one: the node stays until the last one
// has left, then it goes `terminating` → `terminated` (checked in the CDR) and
// disappears from `GET /media-nodes`. The node was added by URI, not launched
// by the master (on premises there is no instance to shut down), so the master
// only lets it go: the process keeps running and still answers the Kurento
// protocol, and session B's pipeline on it has been released. Session A, on
// the embedded node, is unaffected throughout.
//
// Tests run in order and share the master, the node and the pages. Every wait
// polls the pages or REST with a deadline, never asserting after a fixed
// sleep. A failure prints every page's event log and console, the REST view of
// the sessions and media nodes, and the tails of the master's and the node's logs.

import { before, after } from 'node:test';
import { diagnosedTest } from './lib/diagnosed-test.js';
import { pollUntil as poll } from './lib/poll.js';
import { is } from './lib/page-events.js';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startPlenum, tempDir } from './lib/plenum.js';
import { startMediaNode } from './lib/media-node.js';
import { KurentoClient } from './lib/kurento.js';
import { launchChromium, servePages } from './lib/browser.js';
import { OpenViduPage, OPENVIDU_BROWSER_VERSION } from './lib/openvidu-page.js';

const require = createRequire(import.meta.url);
const { OpenVidu, OpenViduRole } = require('openvidu-node-client');

/** Signaling round trips and REST state changes on a busy 2-core machine. */
const EVENT_DEADLINE_MS = 20_000;
/** ICE, DTLS and decoded frames, with a debug master, a debug node and several Chromium renderers. */
const MEDIA_DEADLINE_MS = 45_000;
/** From the last participant leaving to the drained node being gone. */
const DRAIN_DEADLINE_MS = 20_000;
const POLL_MS = 500;
const TEST_TIMEOUT_MS = 180_000;

const SESSIONS = '/openvidu/api/sessions';
const MEDIA_NODES = '/openvidu/api/media-nodes';

let plenum;
let cdrDir;
let node; // the second media node's process
let nodeExit; // how it exited, once it has
let pages;
let browser;
let ov;

/** Every page opened, for the failure report and the final cleanup. */
const allPages = [];
/** Filled in as the tests go. */
const ctx = {
  embeddedId: undefined,
  secondId: undefined,
  a: undefined, // {session, pub, sub}
  b: undefined, // {session, pub, sub, late}
  cId: undefined,
};

before(async () => {
  assert.equal(OPENVIDU_BROWSER_VERSION, '2.32.2');
  cdrDir = tempDir('plenum-e2e-cdr-');
  plenum = await startPlenum({
    OPENVIDU_SECRET: 'e2e-secret-two-nodes',
    // mediaNodeStatusChanged lines show the whole life of the second node.
    OPENVIDU_CDR: 'true',
    OPENVIDU_CDR_PATH: cdrDir,
    // Nothing to autodiscover: an empty cluster directory of our own.
    OPENVIDU_PRO_CLUSTER_PATH: tempDir('plenum-e2e-cluster-'),
  });
  ov = new OpenVidu(plenum.url, plenum.secret);
  ov.enableProdMode();
  pages = await servePages();
  browser = await launchChromium();
});

// The second node is killed whatever happens: lib/media-node.js kills it when
// this process exits normally; a signal (the runner stopping us) ends the
// process without an 'exit' event, so it is killed here too.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    if (node?.pid) {
      try {
        process.kill(node.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

after(async () => {
  const problems = [];
  try {
    for (const page of allPages) await page.close();
    await browser?.close();
    await pages?.close();
  } catch (error) {
    problems.push(`closing the browser: ${error.message}`);
  }
  // The drained node was only let go by the master: it is still running, and ours to stop.
  if (node) {
    const how = await node.stop();
    if (how !== 0) problems.push(`plenum-media-node exited with ${how} on SIGINT, not 0:\n${node.tail(40)}`);
  }
  if (plenum) {
    const how = await plenum.stop();
    if (how !== 0) problems.push(`plenum exited with ${how} on SIGTERM, not 0`);
  }
  assert.deepEqual(problems, [], 'clean shutdown');
});

/** `test` with a timeout and, on failure, the pages' logs, the REST views and both logs. */
const it = diagnosedTest(TEST_TIMEOUT_MS, diagnostics);

async function diagnostics() {
  const parts = [];
  for (const page of allPages) parts.push(await page.diagnostics().catch((e) => `--- page ${page.name}: ${e.message}`));
  if (plenum) {
    const sessionIds = [ctx.a?.session.sessionId, ctx.b?.session.sessionId, ctx.cId].filter(Boolean);
    for (const id of sessionIds) {
      const res = await plenum.request('GET', `${SESSIONS}/${id}`).catch((e) => ({ text: e.message }));
      parts.push(`--- GET ${SESSIONS}/${id}: ${res.status} ${res.text}`);
    }
    const nodes = await plenum.request('GET', `${MEDIA_NODES}?sessions=true`).catch((e) => ({ text: e.message }));
    parts.push(`--- GET ${MEDIA_NODES}?sessions=true: ${nodes.status} ${nodes.text}`);
    parts.push(`--- CDR mediaNodeStatusChanged: ${JSON.stringify(cdrStatusChanges())}`);
    parts.push('--- plenum log, last lines ---', ...plenum.log().trimEnd().split('\n').slice(-100));
  }
  if (node) parts.push(`--- plenum-media-node log (${node.uri || 'not listening'}), last lines ---`, node.tail(60));
  return parts.join('\n');
}

/** Polls `probe` until `done(value, previous)`; throws with `what` and the last value after `deadlineMs`. */
const pollUntil = (what, probe, done, deadlineMs = EVENT_DEADLINE_MS) => poll(what, probe, done, { deadlineMs, pollMs: POLL_MS });

/** A page joined to `session` with a fresh token (openvidu-node-client createConnection). */
async function joinedPage(session, name, role) {
  const connection = await session.createConnection({ role, data: `server-${name}` });
  const page = await OpenViduPage.open(browser, pages.url, name);
  allPages.push(page);
  const own = await page.join(connection.token, name);
  assert.equal(own.connectionId, connection.connectionId, `${name}: joined as the connection the token was made for`);
  return page;
}

/** `pub` publishes; `viewers` get streamCreated, subscribe, and decode video and receive audio. */
async function publishTo(pub, viewers) {
  const { streamId } = await pub.publish();
  for (const viewer of viewers) await receives(viewer, streamId);
  return streamId;
}

/** `viewer` has (or gets) the stream and its subscription plays. */
async function receives(viewer, streamId) {
  await viewer.waitForEvent(is('streamCreated', { streamId }), { what: `streamCreated for ${streamId}`, timeoutMs: EVENT_DEADLINE_MS });
  await viewer.waitForEvent(is('subscribed', { streamId }, 'subscriber'), { what: `subscribed to ${streamId}`, timeoutMs: MEDIA_DEADLINE_MS });
  await viewer.waitForEvent(is('streamPlaying', { streamId }, 'subscriber'), { what: `${streamId} playing`, timeoutMs: MEDIA_DEADLINE_MS });
  await mediaFlows(viewer, streamId);
}

/**
 * Media flows now: `viewer` decodes more than 15 further video frames of
 * `streamId` (and over 30 in all) and receives more audio bytes than when
 * this was called.
 */
async function mediaFlows(viewer, streamId) {
  const at = async () => (await viewer.stats()).subscribers[streamId] ?? null;
  const start = await at();
  const baseFrames = start?.video?.framesDecoded ?? 0;
  const baseBytes = start?.audio?.bytesReceived ?? 0;
  const seen = await pollUntil(
    `[${viewer.name}] remote stream ${streamId}: video framesDecoded above ${Math.max(30, baseFrames + 15)}, audio bytesReceived above ${baseBytes}`,
    at,
    (now) => now?.video?.framesDecoded > Math.max(30, baseFrames + 15) && now?.audio?.bytesReceived > baseBytes,
    MEDIA_DEADLINE_MS,
  );
  assert.ok(seen.video.frameWidth > 0 && seen.video.frameHeight > 0, `decoded video has a size: ${JSON.stringify(seen.video)}`);
  return seen;
}

async function noPageErrors(list) {
  for (const page of list) {
    const bad = (await page.events()).filter((e) => ['exception', 'subscribeError', 'publishError'].includes(e.event));
    assert.deepEqual(bad, [], `[${page.name}] no exception, subscribe or publish error`);
  }
}

async function restSession(sessionId) {
  return plenum.request('GET', `${SESSIONS}/${sessionId}`);
}

async function mediaNodeIdOf(sessionId) {
  const res = await restSession(sessionId);
  assert.equal(res.status, 200, res.text);
  return res.json.mediaNodeId;
}

async function listNodes(query = '') {
  const res = await plenum.request('GET', `${MEDIA_NODES}${query}`);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.numberOfElements, res.json.content.length);
  return res.json.content;
}

/** The ids of the sessions a node's `GET ?sessions=true` lists. */
async function sessionsOnNode(id) {
  const res = await plenum.request('GET', `${MEDIA_NODES}/${id}?sessions=true`);
  assert.equal(res.status, 200, res.text);
  return res.json.sessions.map((s) => s.sessionId).sort();
}

/** The mediaNodeStatusChanged records of the CDR, in order (the master writes one file per run). */
function cdrStatusChanges() {
  const changes = [];
  let files = [];
  try {
    files = readdirSync(cdrDir).filter((f) => f.startsWith('CDR.')).sort();
  } catch {
    return changes;
  }
  for (const file of files) {
    for (const line of readFileSync(path.join(cdrDir, file), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const record = JSON.parse(line);
        if (record.mediaNodeStatusChanged) changes.push(record.mediaNodeStatusChanged);
      } catch {
        // a line being written
      }
    }
  }
  return changes;
}

/** The pipelines on the second node, asked over its own control websocket (a client of our own). */
async function pipelinesOnSecondNode() {
  const probe = await KurentoClient.connect(node.uri);
  try {
    return await probe.invoke('manager_ServerManager', 'getPipelines');
  } finally {
    await probe.close();
  }
}

// ---------------------------------------------------------------------------

it("session A's first join places it on the master's embedded node, the first node", async () => {
  const nodes = await listNodes();
  assert.equal(nodes.length, 1, `one node at startup: ${JSON.stringify(nodes)}`);
  const [embedded] = nodes;
  assert.deepEqual([embedded.status, embedded.connected, embedded.environmentId], ['running', true, 'embedded'], JSON.stringify(embedded));
  ctx.embeddedId = embedded.id;

  const session = await ov.createSession();
  assert.equal((await restSession(session.sessionId)).json.mediaNodeId, undefined, 'no node before the first join');
  const pub = await joinedPage(session, 'ada', OpenViduRole.PUBLISHER);
  const sub = await joinedPage(session, 'abe', OpenViduRole.SUBSCRIBER);
  ctx.a = { session, pub, sub };
  await publishTo(pub, [sub]);
  await noPageErrors([pub, sub]);
  assert.equal(await mediaNodeIdOf(session.sessionId), ctx.embeddedId);
});

it('a second plenum-media-node is added by URI (POST media-nodes): two running nodes', async () => {
  node = await startMediaNode();
  node.exited.then((how) => (nodeExit = how));
  assert.match(node.uri, /^ws:\/\/127\.0\.0\.1:\d+\/kurento$/);
  const res = await plenum.request('POST', MEDIA_NODES, { body: { uri: node.uri } });
  assert.equal(res.status, 200, res.text);
  const added = res.json;
  assert.equal(added.object, 'mediaNode');
  assert.match(added.id, /^media_/);
  assert.notEqual(added.id, ctx.embeddedId);
  assert.deepEqual([added.uri, added.ip, added.status, added.connected], [node.uri, '127.0.0.1', 'running', true], res.text);
  ctx.secondId = added.id;

  const nodes = await listNodes();
  assert.deepEqual(
    nodes.map((n) => [n.id, n.status, n.connected]).sort(),
    [
      [ctx.embeddedId, 'running', true],
      [ctx.secondId, 'running', true],
    ].sort(),
  );
  assert.deepEqual(await pipelinesOnSecondNode(), [], 'nothing runs on the new node yet');
});

it("session B's first join lands on the other (least loaded) node; each node's GET lists its session", async () => {
  assert.ok(ctx.a && ctx.secondId, 'needs session A and the second node');
  const session = await ov.createSession();
  assert.equal((await restSession(session.sessionId)).json.mediaNodeId, undefined, 'no node before the first join');
  const pub = await joinedPage(session, 'bea', OpenViduRole.PUBLISHER);
  const sub = await joinedPage(session, 'bo', OpenViduRole.SUBSCRIBER);
  ctx.b = { session, pub, sub };
  await publishTo(pub, [sub]);
  await noPageErrors([pub, sub]);

  const nodeOfA = await mediaNodeIdOf(ctx.a.session.sessionId);
  const nodeOfB = await mediaNodeIdOf(session.sessionId);
  assert.notEqual(nodeOfA, nodeOfB, 'the two sessions are on different nodes');
  assert.deepEqual([nodeOfA, nodeOfB], [ctx.embeddedId, ctx.secondId]);

  assert.deepEqual(await sessionsOnNode(ctx.embeddedId), [ctx.a.session.sessionId]);
  assert.deepEqual(await sessionsOnNode(ctx.secondId), [session.sessionId]);
  const listed = Object.fromEntries((await listNodes('?sessions=true')).map((n) => [n.id, n.sessions.map((s) => s.sessionId)]));
  assert.deepEqual(listed, { [ctx.embeddedId]: [ctx.a.session.sessionId], [ctx.secondId]: [session.sessionId] });
  // B's media really goes through the second process: its pipeline is there.
  assert.equal((await pipelinesOnSecondNode()).length, 1, "session B's pipeline is on the second node");
  await mediaFlows(ctx.a.sub, ctx.a.pub.streamId);
});

it('DELETE ?deletion-strategy=when-no-sessions: 202, waiting-idle-to-terminate; B keeps working, new sessions go elsewhere', async () => {
  assert.ok(ctx.b, 'needs session B');
  const res = await plenum.request('DELETE', `${MEDIA_NODES}/${ctx.secondId}?deletion-strategy=when-no-sessions`);
  assert.equal(res.status, 202, res.text);
  assert.deepEqual([res.json?.id, res.json?.status], [ctx.secondId, 'waiting-idle-to-terminate'], res.text);
  const draining = await plenum.request('GET', `${MEDIA_NODES}/${ctx.secondId}`);
  assert.equal(draining.status, 200, draining.text);
  assert.deepEqual([draining.json.status, draining.json.connected], ['waiting-idle-to-terminate', true]);
  assert.deepEqual(await sessionsOnNode(ctx.secondId), [ctx.b.session.sessionId]);

  // Session B still works: its media flows, and a participant joining now gets it too.
  await mediaFlows(ctx.b.sub, ctx.b.pub.streamId);
  const late = await joinedPage(ctx.b.session, 'bix', OpenViduRole.SUBSCRIBER);
  ctx.b.late = late;
  await receives(late, ctx.b.pub.streamId);
  await noPageErrors([ctx.b.pub, ctx.b.sub, late]);
  assert.equal(await mediaNodeIdOf(ctx.b.session.sessionId), ctx.secondId);

  // A new session cannot go to the draining node.
  const c = await ov.createSession();
  ctx.cId = c.sessionId;
  const cy = await joinedPage(c, 'cy', OpenViduRole.SUBSCRIBER);
  assert.equal(await mediaNodeIdOf(c.sessionId), ctx.embeddedId, 'a new session lands on the running node');
  await cy.leave();
  await cy.waitForEvent(is('sessionDisconnected', { reason: 'disconnect' }), { what: 'its own sessionDisconnected' });
  await pollUntil(`REST: session C is closed (404)`, () => restSession(c.sessionId), (r) => r.status === 404);
  assert.equal((await plenum.request('GET', `${MEDIA_NODES}/${ctx.secondId}`)).json.status, 'waiting-idle-to-terminate');
});

it('the drain completes when the last participant of B leaves: the node is removed from the cluster, its process lives on; A is unaffected', async (t) => {
  assert.ok(ctx.b?.late, 'needs the draining node with session B');
  const { session, pub, sub, late } = ctx.b;

  // Not yet: while anyone is left in B, the node stays.
  for (const leaver of [sub, late]) {
    await leaver.leave();
    await leaver.waitForEvent(is('sessionDisconnected', { reason: 'disconnect' }), { what: 'its own sessionDisconnected' });
    await pub.waitForEvent(is('connectionDestroyed', { connectionId: leaver.connectionId, reason: 'disconnect' }), {
      what: `connectionDestroyed for ${leaver.name}`,
    });
  }
  await pollUntil(
    'REST: only bea left in session B',
    async () => (await restSession(session.sessionId)).json?.connections?.content?.map((c) => c.connectionId),
    (ids) => ids?.length === 1 && ids[0] === pub.connectionId,
  );
  const stillThere = await plenum.request('GET', `${MEDIA_NODES}/${ctx.secondId}`);
  assert.equal(stillThere.status, 200, 'the node stays while B has a participant');
  assert.equal(stillThere.json.status, 'waiting-idle-to-terminate');

  // The last one leaves: B closes, and the node goes.
  await pub.leave();
  await pub.waitForEvent(is('sessionDisconnected', { reason: 'disconnect' }), { what: 'its own sessionDisconnected' });
  const startedAt = Date.now();
  await pollUntil(
    'GET media-nodes: the drained node is gone',
    async () => (await listNodes()).map((n) => n.id),
    (ids) => !ids.includes(ctx.secondId),
    DRAIN_DEADLINE_MS,
  );
  const removedAfterMs = Date.now() - startedAt;
  assert.equal((await plenum.request('GET', `${MEDIA_NODES}/${ctx.secondId}`)).status, 404);
  assert.equal((await restSession(session.sessionId)).status, 404, 'session B closed with its last participant');
  assert.deepEqual(
    (await listNodes()).map((n) => [n.id, n.status, n.connected]),
    [[ctx.embeddedId, 'running', true]],
  );

  // Its whole life, as the CDR tells it: through terminating to terminated.
  const life = await pollUntil(
    "CDR: the second node's status changes up to terminated",
    async () => cdrStatusChanges().filter((c) => c.id === ctx.secondId),
    (changes) => changes.some((c) => c.newStatus === 'terminated'),
  );
  assert.deepEqual(
    life.map((c) => [c.oldStatus, c.newStatus]),
    [
      [null, 'launching'],
      ['launching', 'running'],
      ['running', 'waiting-idle-to-terminate'],
      ['waiting-idle-to-terminate', 'terminating'],
      ['terminating', 'terminated'],
    ],
  );
  for (const change of life) assert.deepEqual([change.uri, change.ip], [node.uri, '127.0.0.1']);

  // Added by URI, not launched: the master lets it go without stopping it (on premises
  // there is no instance to shut down). The process still runs and answers, and the
  // pipeline of session B was released on it before the master dropped its connection.
  assert.equal(nodeExit, undefined, `the plenum-media-node process is still running (exit: ${nodeExit})`);
  const probe = await KurentoClient.connect(node.uri);
  try {
    assert.equal((await probe.request('ping', { interval: 240_000 })).value, 'pong', 'it still answers the Kurento protocol');
  } finally {
    await probe.close();
  }
  await pollUntil("session B's pipeline is released on the second node", pipelinesOnSecondNode, (p) => p.length === 0);
  assert.doesNotMatch(plenum.log(), /terminating a drained media node failed/);

  // Session A never moved and its media still flows.
  assert.equal(await mediaNodeIdOf(ctx.a.session.sessionId), ctx.embeddedId);
  assert.deepEqual(await sessionsOnNode(ctx.embeddedId), [ctx.a.session.sessionId]);
  await mediaFlows(ctx.a.sub, ctx.a.pub.streamId);
  await noPageErrors([ctx.a.pub, ctx.a.sub]);
  for (const page of [ctx.a.pub, ctx.a.sub]) {
    assert.deepEqual((await page.events()).filter(is('sessionDisconnected')), [], `[${page.name}] still in session A`);
  }
  t.diagnostic(`the drained node was gone from GET media-nodes ${removedAfterMs} ms after the last participant left`);
});
