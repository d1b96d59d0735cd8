// A media node crash (peer study §1.7) with the unmodified openvidu-browser
// 2.32.2 in headless Chromium against a real plenum master, over loopback only.
//
// Two nodes: the master's embedded one hosts session A (it joins first, while
// it is the only node); a real `plenum-media-node` process, added with
// `POST /openvidu/api/media-nodes`, hosts session B (the least loaded node at
// B's first join). Each session has a publisher page and a SUBSCRIBER page
// decoding its video. Then the second process is SIGKILLed.
//
// The master notices the dropped websocket at once, retries silently for
// `OPENVIDU_PRO_CLUSTER_RECONNECTION_TIMEOUT` (3 s), then gives up: the CDR
// gets `nodeCrashed` (sessionIds [B]), B's end events with reason
// `nodeCrashed`, and the node's `terminating` → `terminated`. B's pages are
// evicted (`participantEvicted` with `nodeCrashed`), which openvidu-browser
// surfaces as `sessionDisconnected` with that reason (and `streamDestroyed`
// on the publisher). REST forgets B and the node; session A keeps flowing.
//
// Then a third node (a `plenum-media-node` process) hosting session C is killed
// and started again on the same port within the timeout: the master reconnects,
// finds its Kurento session gone (the objects died with the process), emits
// `nodeRecovered` and, as OpenVidu after a reconnection to a new KMS, ends C's
// streams with `mediaServerReconnect` while C and its participants stay; the
// publisher publishes again on the restarted node and the subscriber plays it.
//
// Every wait polls the pages, REST or the CDR with a deadline. A failure
// prints every page's log, the REST views and the tails of both processes' logs.

import { before, after } from 'node:test';
import { diagnosedTest } from './lib/diagnosed-test.js';
import { pollUntil as poll } from './lib/poll.js';
import { is, byPublisher } from './lib/page-events.js';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startPlenum, tempDir } from './lib/plenum.js';
import { startMediaNode } from './lib/media-node.js';
import { launchChromium, servePages } from './lib/browser.js';
import { OpenViduPage, OPENVIDU_BROWSER_VERSION } from './lib/openvidu-page.js';

const require = createRequire(import.meta.url);
const { OpenVidu, OpenViduRole } = require('openvidu-node-client');

const EVENT_DEADLINE_MS = 20_000;
const MEDIA_DEADLINE_MS = 45_000;
/** The reconnection timeout the master is given. */
const RECONNECTION_TIMEOUT_S = 3;
/** From the kill to the pages told: the timeout, plus 3 s for detection and delivery. */
const CRASH_BOUND_MS = RECONNECTION_TIMEOUT_S * 1000 + 3_000;
const POLL_MS = 100;
const TEST_TIMEOUT_MS = 180_000;

const SESSIONS = '/openvidu/api/sessions';
const MEDIA_NODES = '/openvidu/api/media-nodes';

let plenum;
let cdrDir;
let node;
let pages;
let browser;
let ov;

const allPages = [];
const ctx = { embeddedId: undefined, secondId: undefined, a: undefined, b: undefined, killedAt: undefined, c: undefined };
let third; // the node restarted in place

before(async () => {
  assert.equal(OPENVIDU_BROWSER_VERSION, '2.32.2');
  cdrDir = tempDir('plenum-e2e-cdr-');
  plenum = await startPlenum({
    OPENVIDU_SECRET: 'e2e-secret-node-crash',
    OPENVIDU_CDR: 'true',
    OPENVIDU_CDR_PATH: cdrDir,
    OPENVIDU_PRO_CLUSTER_PATH: tempDir('plenum-e2e-cluster-'),
    OPENVIDU_PRO_CLUSTER_RECONNECTION_TIMEOUT: String(RECONNECTION_TIMEOUT_S),
  });
  ov = new OpenVidu(plenum.url, plenum.secret);
  ov.enableProdMode();
  pages = await servePages();
  browser = await launchChromium();
});

after(async () => {
  const problems = [];
  try {
    for (const page of allPages) await page.close();
    await browser?.close();
    await pages?.close();
  } catch (error) {
    problems.push(`closing the browser: ${error.message}`);
  }
  await node?.stop(); // killed by the test already, unless it failed before
  await third?.stop();
  if (plenum) {
    const how = await plenum.stop();
    if (how !== 0) problems.push(`plenum exited with ${how} on SIGTERM, not 0`);
  }
  assert.deepEqual(problems, [], 'clean shutdown');
});

const it = diagnosedTest(TEST_TIMEOUT_MS, diagnostics);

async function diagnostics() {
  const parts = [];
  for (const page of allPages) parts.push(await page.diagnostics().catch((e) => `--- page ${page.name}: ${e.message}`));
  if (plenum) {
    for (const id of [ctx.a?.session.sessionId, ctx.b?.session.sessionId, ctx.c?.session.sessionId].filter(Boolean)) {
      const res = await plenum.request('GET', `${SESSIONS}/${id}`).catch((e) => ({ text: e.message }));
      parts.push(`--- GET ${SESSIONS}/${id}: ${res.status} ${res.text}`);
    }
    const nodes = await plenum.request('GET', `${MEDIA_NODES}?sessions=true`).catch((e) => ({ text: e.message }));
    parts.push(`--- GET ${MEDIA_NODES}?sessions=true: ${nodes.status} ${nodes.text}`);
    parts.push(`--- CDR: ${JSON.stringify(cdr())}`);
    parts.push('--- plenum log, last lines ---', ...plenum.log().trimEnd().split('\n').slice(-100));
  }
  if (node) parts.push(`--- plenum-media-node log (${node.uri || 'not listening'}), last lines ---`, node.tail(60));
  if (third) parts.push(`--- third plenum-media-node log (${third.uri || 'not listening'}), last lines ---`, third.tail(60));
  return parts.join('\n');
}

const pollUntil = (what, probe, done, deadlineMs = EVENT_DEADLINE_MS) => poll(what, probe, done, { deadlineMs, pollMs: POLL_MS });

/** The CDR records in order, as `[name, fields]`. */
function cdr() {
  const records = [];
  let files = [];
  try {
    files = readdirSync(cdrDir).filter((f) => f.startsWith('CDR.')).sort();
  } catch {
    return records;
  }
  for (const file of files) {
    for (const line of readFileSync(path.join(cdrDir, file), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const [[name, fields]] = Object.entries(JSON.parse(line));
        records.push([name, fields]);
      } catch {
        // a line being written
      }
    }
  }
  return records;
}

async function joinedPage(session, name, role) {
  const connection = await session.createConnection({ role, data: `server-${name}` });
  const page = await OpenViduPage.open(browser, pages.url, name);
  allPages.push(page);
  const own = await page.join(connection.token, name);
  assert.equal(own.connectionId, connection.connectionId);
  return page;
}

async function publishTo(pub, viewer) {
  const { streamId } = await pub.publish();
  await viewer.waitForEvent(is('streamCreated', { streamId }), { what: `streamCreated for ${streamId}`, timeoutMs: EVENT_DEADLINE_MS });
  await viewer.waitForEvent(is('streamPlaying', { streamId }, 'subscriber'), { what: `${streamId} playing`, timeoutMs: MEDIA_DEADLINE_MS });
  await mediaFlows(viewer, streamId);
  return streamId;
}

/** `viewer` decodes more than 15 further frames of `streamId` and receives more audio. */
async function mediaFlows(viewer, streamId) {
  const at = async () => (await viewer.stats()).subscribers[streamId] ?? null;
  const start = await at();
  const baseFrames = start?.video?.framesDecoded ?? 0;
  const baseBytes = start?.audio?.bytesReceived ?? 0;
  return poll(
    `[${viewer.name}] ${streamId}: framesDecoded above ${Math.max(30, baseFrames + 15)}, bytesReceived above ${baseBytes}`,
    at,
    (now) => now?.video?.framesDecoded > Math.max(30, baseFrames + 15) && now?.audio?.bytesReceived > baseBytes,
    { deadlineMs: MEDIA_DEADLINE_MS, pollMs: 500 },
  );
}

async function mediaNodeIdOf(sessionId) {
  const res = await plenum.request('GET', `${SESSIONS}/${sessionId}`);
  assert.equal(res.status, 200, res.text);
  return res.json.mediaNodeId;
}

// ---------------------------------------------------------------------------

it('two sessions with media on two nodes: A on the embedded node, B on a plenum-media-node process', async () => {
  const nodes = (await plenum.request('GET', MEDIA_NODES)).json.content;
  assert.equal(nodes.length, 1, JSON.stringify(nodes));
  ctx.embeddedId = nodes[0].id;
  const a = await ov.createSession();
  ctx.a = { session: a, pub: await joinedPage(a, 'ada', OpenViduRole.PUBLISHER), sub: await joinedPage(a, 'abe', OpenViduRole.SUBSCRIBER) };
  ctx.a.streamId = await publishTo(ctx.a.pub, ctx.a.sub);

  node = await startMediaNode();
  const added = await plenum.request('POST', MEDIA_NODES, { body: { uri: node.uri } });
  assert.equal(added.status, 200, added.text);
  ctx.secondId = added.json.id;
  const b = await ov.createSession();
  ctx.b = { session: b, pub: await joinedPage(b, 'bea', OpenViduRole.PUBLISHER), sub: await joinedPage(b, 'bo', OpenViduRole.SUBSCRIBER) };
  ctx.b.streamId = await publishTo(ctx.b.pub, ctx.b.sub);
  assert.deepEqual([await mediaNodeIdOf(a.sessionId), await mediaNodeIdOf(b.sessionId)], [ctx.embeddedId, ctx.secondId]);
});

it("SIGKILL of B's node: B's pages are disconnected with reason nodeCrashed within the bound", async (t) => {
  assert.ok(ctx.b, 'needs session B on the second node');
  process.kill(node.pid, 'SIGKILL');
  ctx.killedAt = Date.now();
  for (const page of [ctx.b.pub, ctx.b.sub]) {
    await page.waitForEvent(is('sessionDisconnected', { reason: 'nodeCrashed' }), {
      what: `[${page.name}] sessionDisconnected with reason nodeCrashed`,
      timeoutMs: CRASH_BOUND_MS,
    });
  }
  const toldAfterMs = Date.now() - ctx.killedAt;
  assert.ok(toldAfterMs < CRASH_BOUND_MS, `told after ${toldAfterMs} ms`);
  await ctx.b.pub.waitForEvent(byPublisher('streamDestroyed', { streamId: ctx.b.streamId, reason: 'nodeCrashed' }), {
    what: "the publisher's own streamDestroyed with nodeCrashed",
  });
  t.diagnostic(`B's pages saw sessionDisconnected(nodeCrashed) ${toldAfterMs} ms after the SIGKILL (timeout ${RECONNECTION_TIMEOUT_S} s)`);
});

it('REST forgets session B and the node; the CDR has nodeCrashed, the end events, then terminating and terminated', async () => {
  assert.ok(ctx.killedAt, 'needs the crash');
  const b = ctx.b.session.sessionId;
  await pollUntil('REST: session B gone', () => plenum.request('GET', `${SESSIONS}/${b}`), (r) => r.status === 404);
  await pollUntil('REST: the crashed node gone', () => plenum.request('GET', `${MEDIA_NODES}/${ctx.secondId}`), (r) => r.status === 404);
  const listed = (await plenum.request('GET', SESSIONS)).json.content.map((s) => s.id);
  assert.deepEqual(listed, [ctx.a.session.sessionId]);
  const nodes = (await plenum.request('GET', MEDIA_NODES)).json.content.map((n) => [n.id, n.status, n.connected]);
  assert.deepEqual(nodes, [[ctx.embeddedId, 'running', true]]);

  const records = await pollUntil(
    'CDR: the crashed node terminated',
    async () => cdr(),
    (all) => all.some(([n, f]) => n === 'mediaNodeStatusChanged' && f.id === ctx.secondId && f.newStatus === 'terminated'),
  );
  const from = records.findIndex(([n]) => n === 'nodeCrashed');
  assert.ok(from >= 0, 'nodeCrashed is in the CDR');
  const [, crash] = records[from];
  assert.deepEqual([crash.id, crash.uri, crash.nodeRole, crash.sessionIds, crash.recordingIds, crash.broadcasts], [ctx.secondId, node.uri, 'medianode', [b], [], []]);
  const after = records.slice(from + 1).filter(([n, f]) => f.sessionId === b || (n === 'mediaNodeStatusChanged' && f.id === ctx.secondId));
  const names = after.map(([n]) => n);
  const firstStatus = names.indexOf('mediaNodeStatusChanged');
  const ends = after.slice(0, firstStatus);
  assert.deepEqual(
    [...new Set(ends.map(([n]) => n))].sort(),
    ['participantLeft', 'sessionDestroyed', 'webrtcConnectionDestroyed'],
    `B's end events come before the status changes: ${names}`,
  );
  assert.equal(ends.filter(([n]) => n === 'participantLeft').length, 2);
  assert.equal(ends.at(-1)[0], 'sessionDestroyed');
  for (const [n, f] of ends) assert.equal(f.reason, 'nodeCrashed', `${n} reason`);
  assert.deepEqual(
    after.slice(firstStatus).map(([, f]) => [f.oldStatus, f.newStatus]),
    [
      ['running', 'terminating'],
      ['terminating', 'terminated'],
    ],
  );
  assert.ok(!records.some(([, f]) => f.sessionId === ctx.a.session.sessionId && f.reason), 'nothing of session A ended');
});

it("session A on the other node is unaffected: still connected, its media keeps flowing", async () => {
  assert.ok(ctx.killedAt, 'needs the crash');
  await mediaFlows(ctx.a.sub, ctx.a.streamId);
  for (const page of [ctx.a.pub, ctx.a.sub]) {
    assert.deepEqual((await page.events()).filter(is('sessionDisconnected')), [], `[${page.name}] still in session A`);
  }
  const res = await plenum.request('GET', `${SESSIONS}/${ctx.a.session.sessionId}`);
  assert.equal(res.status, 200);
  assert.equal(res.json.connections.numberOfElements, 2);
});

it('a node killed and restarted on its port within the timeout: nodeRecovered, streams end with mediaServerReconnect, the session stays', async (t) => {
  assert.ok(ctx.killedAt, 'runs after the crash (session A is alone on the embedded node)');
  third = await startMediaNode();
  const added = await plenum.request('POST', MEDIA_NODES, { body: { uri: third.uri } });
  assert.equal(added.status, 200, added.text);
  const thirdId = added.json.id;
  const c = await ov.createSession({ mediaNode: { id: thirdId } });
  ctx.c = { session: c, pub: await joinedPage(c, 'cat', OpenViduRole.PUBLISHER), sub: await joinedPage(c, 'cid', OpenViduRole.SUBSCRIBER) };
  ctx.c.streamId = await publishTo(ctx.c.pub, ctx.c.sub);
  assert.equal(await mediaNodeIdOf(c.sessionId), thirdId);

  const listen = third.uri.replace(/^ws:\/\//, '').replace(/\/kurento$/, '');
  process.kill(third.pid, 'SIGKILL');
  const killedAt = Date.now();
  await third.exited;
  third = await startMediaNode({ listen });
  assert.equal(third.uri, added.json.uri, 'the same URI');
  await pollUntil('CDR: nodeRecovered', async () => cdr(), (all) => all.some(([n, f]) => n === 'nodeRecovered' && f.id === thirdId));
  const recoveredAfterMs = Date.now() - killedAt;

  for (const [page, source] of [
    [ctx.c.pub, 'publisher'],
    [ctx.c.sub, 'session'],
  ]) {
    await page.waitForEvent(is('streamDestroyed', { streamId: ctx.c.streamId, reason: 'mediaServerReconnect' }, source), {
      what: `[${page.name}] streamDestroyed with mediaServerReconnect`,
    });
  }
  const records = cdr();
  assert.ok(!records.some(([n, f]) => n === 'nodeCrashed' && f.id === thirdId), 'not crashed');
  const destroyed = records.filter(([n, f]) => n === 'webrtcConnectionDestroyed' && f.sessionId === c.sessionId);
  assert.equal(destroyed.length, 2, JSON.stringify(destroyed));
  for (const [, f] of destroyed) assert.equal(f.reason, 'mediaServerReconnect');
  for (const page of [ctx.c.pub, ctx.c.sub]) {
    assert.deepEqual((await page.events()).filter(is('sessionDisconnected')), [], `[${page.name}] still in session C`);
  }
  const rest = await plenum.request('GET', `${SESSIONS}/${c.sessionId}`);
  assert.equal(rest.status, 200, rest.text);
  assert.equal(rest.json.connections.numberOfElements, 2);
  assert.ok(rest.json.connections.content.every((conn) => conn.publishers.length === 0 && conn.subscribers.length === 0), rest.text);
  const nodeNow = await plenum.request('GET', `${MEDIA_NODES}/${thirdId}`);
  assert.deepEqual([nodeNow.json.status, nodeNow.json.connected], ['running', true]);

  // The publisher publishes again: a new pipeline on the restarted process, and the subscriber plays it.
  await publishTo(ctx.c.pub, ctx.c.sub);
  t.diagnostic(`nodeRecovered ${recoveredAfterMs} ms after the kill; streams reset and published again`);
});
