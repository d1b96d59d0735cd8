// Headless Chromium against a real plenum-media-node, over loopback only.
//
// Page A publishes its fake camera and microphone (sendonly audio+video);
// page B subscribes (recvonly). The test drives the node over the Kurento
// protocol exactly the way the OpenVidu 2 master does (reference
// kurento-protocol.md §8): a MediaPipeline; the publisher's WebRtcEndpoint
// with processOffer, IceCandidateFound, a PassThrough, connect,
// gatherCandidates and addIceCandidate per browser candidate; the
// subscriber's WebRtcEndpoint fed from the PassThrough. ICE candidates
// trickle both ways. Then page B's getStats() must show video frames being
// decoded and audio packets arriving, and releasing the pipeline must stop
// them. Waits are polls with deadlines, never fixed sleeps, and a failure
// prints the node's log, the Kurento events and messages, and both pages'
// histories.

import { before, after } from 'node:test';
import { diagnosedTest } from './lib/diagnosed-test.js';
import { pollUntil as poll } from './lib/poll.js';
import assert from 'node:assert/strict';
import { startMediaNode } from './lib/media-node.js';
import { KurentoClient, shortId } from './lib/kurento.js';
import { launchChromium, servePages, PeerPage } from './lib/browser.js';

/** Generous: a 2-core CI machine runs a debug node and two Chromium renderers here. */
const MEDIA_DEADLINE_MS = 30_000;
const POLL_MS = 500;
const TEST_TIMEOUT_MS = 120_000;

/** Events a WebRtcEndpoint gets listeners for in OpenVidu 2 (plus the candidates, subscribed later). */
const ENDPOINT_EVENTS = [
  'IceGatheringDone',
  'NewCandidatePairSelected',
  'IceComponentStateChanged',
  'ConnectionStateChanged',
  'MediaStateChanged',
  'MediaFlowInStateChanged',
  'MediaFlowOutStateChanged',
  'Error',
];

let node;
let pages;
let browser;
let kurento;
let publisherPage;
let subscriberPage;
/** Kurento objects made by the tests, filled in as they go. */
const ids = {};
/** The last stats each poll saw, for failure messages. */
const lastSeen = {};

before(async () => {
  node = await startMediaNode({ env: { RUST_LOG: process.env.RUST_LOG ?? 'info' } });
  pages = await servePages();
  browser = await launchChromium();
  kurento = await KurentoClient.connect(node.uri);
});

after(async () => {
  await kurento?.close();
  await publisherPage?.close();
  await subscriberPage?.close();
  await browser?.close();
  await pages?.close();
  if (node) assert.equal(await node.stop(), 0, 'plenum-media-node exits cleanly on SIGINT');
});

/** `test`, printing everything useful when it fails; a hung page or node fails it after TEST_TIMEOUT_MS. */
const it = diagnosedTest(TEST_TIMEOUT_MS, diagnostics);

async function diagnostics() {
  const parts = [];
  parts.push(`--- objects: ${JSON.stringify(Object.fromEntries(Object.entries(ids).map(([k, v]) => [k, shortId(v)])))}`);
  parts.push(`--- last stats seen: ${JSON.stringify(lastSeen)}`);
  for (const peer of [publisherPage, subscriberPage].filter(Boolean)) {
    const state = await peer.state().catch((error) => `(unavailable: ${error.message})`);
    parts.push(`--- page ${peer.name}: state ${JSON.stringify(state)}`);
    parts.push(...(await peer.history()).map((line) => `  ${line}`));
    parts.push(...peer.log.slice(-30));
  }
  if (kurento) {
    parts.push('--- Kurento events received (last 80) ---', kurento.eventSummary(80));
    parts.push('--- Kurento messages (last 60) ---', kurento.trace.slice(-60).join('\n'));
  }
  if (node) parts.push(`--- plenum-media-node log (${node.uri || 'not listening'}), last lines ---`, node.tail(80));
  return parts.join('\n');
}

/**
 * Calls `probe` every POLL_MS until `done(value, previous)` holds; throws with
 * `what` and the last value after `deadlineMs`. With `key`, each value is kept in
 * `lastSeen[key]` for the failure diagnostics.
 */
function pollUntil(what, probe, done, { deadlineMs = MEDIA_DEADLINE_MS, key } = {}) {
  const seen = async () => {
    const value = await probe();
    if (key) lastSeen[key] = value;
    return value;
  };
  return poll(what, seen, done, { deadlineMs, pollMs: POLL_MS });
}

/**
 * Trickle ICE between one page and one WebRtcEndpoint, with the buffering
 * OpenVidu does: browser candidates wait until the endpoint has processed the
 * offer, node candidates until the page has the answer. Call `attach()` before
 * the page makes its offer (gathering starts with setLocalDescription).
 */
class Trickle {
  constructor(peer, endpoint) {
    this.peer = peer;
    this.endpoint = endpoint;
    this.toNode = [];
    this.toPage = [];
    this.nodeReady = false;
    this.pageReady = false;
    this.chain = Promise.resolve();
    this.errors = [];
    this.sentToNode = 0;
    this.sentToPage = 0;
    peer.onCandidate((candidate) => {
      if (!candidate?.candidate) return; // end of gathering
      if (this.nodeReady) this.sendToNode(candidate);
      else this.toNode.push(candidate);
    });
  }

  /** IceCandidateFound listener, for `kurento.subscribe`. */
  get onNodeCandidate() {
    return ({ data }) => {
      const { candidate, sdpMid, sdpMLineIndex } = data.candidate ?? {};
      const plain = { candidate, sdpMid, sdpMLineIndex };
      if (this.pageReady) this.sendToPage(plain);
      else this.toPage.push(plain);
    };
  }

  sendToNode(candidate) {
    this.enqueue(async () => {
      await kurento.invoke(this.endpoint, 'addIceCandidate', {
        candidate: { __module__: 'kurento', __type__: 'IceCandidate', ...candidate },
      });
      this.sentToNode += 1;
    });
  }

  sendToPage(candidate) {
    this.enqueue(async () => {
      await this.peer.addIceCandidate(candidate);
      this.sentToPage += 1;
    });
  }

  enqueue(step) {
    this.chain = this.chain.then(step).catch((error) => this.errors.push(error));
  }

  /** The endpoint has processed the offer: send the browser's candidates from now on. */
  nodeNegotiated() {
    this.nodeReady = true;
    for (const candidate of this.toNode.splice(0)) this.sendToNode(candidate);
  }

  /** The page has the answer: hand it the node's candidates from now on. */
  pageNegotiated() {
    this.pageReady = true;
    for (const candidate of this.toPage.splice(0)) this.sendToPage(candidate);
  }

  async settled() {
    await this.chain;
    assert.deepEqual(this.errors.map((e) => e.message), [], `trickle ICE errors (${this.peer.name})`);
  }
}

async function subscribeEndpointEvents(endpoint) {
  for (const type of ENDPOINT_EVENTS) await kurento.subscribe(endpoint, type);
}

function assertAnswerHasLoopbackCandidate(answer, who) {
  const candidates = answer.split(/\r?\n/).filter((line) => line.startsWith('a=candidate'));
  assert.ok(
    candidates.some((line) => / 127\.0\.0\.1 \d+ typ host/.test(line)),
    `${who}: the SDP answer announces a 127.0.0.1 host candidate; its candidates: ${JSON.stringify(candidates)}`,
  );
}

const flowEvent = (type, object, mediaType, state) => (e) =>
  e.type === type && e.object === object && e.data.mediaType === mediaType && e.data.state === state;

const isConnected = (state) => state && ['connected', 'completed'].includes(state.ice);

it('a browser publishes its camera and microphone to a WebRtcEndpoint', async () => {
  publisherPage = await PeerPage.open(browser, pages.url, 'publisher');

  ids.pipeline = await kurento.create('MediaPipeline');
  assert.match(ids.pipeline, /_kurento\.MediaPipeline$/);
  assert.equal(typeof kurento.sessionId, 'string', 'the first response carries a sessionId');
  await kurento.subscribe(ids.pipeline, 'Error');

  ids.publisher = await kurento.create('WebRtcEndpoint', { mediaPipeline: ids.pipeline });
  await subscribeEndpointEvents(ids.publisher);
  const trickle = new Trickle(publisherPage, ids.publisher);

  const offer = await publisherPage.publishOffer();
  assert.match(offer, /m=audio[\s\S]*a=sendonly/, 'the publisher offers sendonly media');
  const answer = await kurento.invoke(ids.publisher, 'processOffer', { offer });
  assert.match(answer, /^v=0/, 'processOffer answers an SDP');
  assert.match(answer, /m=audio/);
  assert.match(answer, /m=video/);
  assert.match(answer, /a=recvonly/, 'the node only receives from a sendonly publisher');
  assertAnswerHasLoopbackCandidate(answer, 'publisher');
  trickle.nodeNegotiated();

  await kurento.subscribe(ids.publisher, 'IceCandidateFound', trickle.onNodeCandidate);
  ids.passThrough = await kurento.create('PassThrough', { mediaPipeline: ids.pipeline });
  await kurento.invoke(ids.publisher, 'connect', { sink: ids.passThrough });
  await publisherPage.setAnswer(answer);
  trickle.pageNegotiated();
  await kurento.invoke(ids.publisher, 'gatherCandidates');

  await kurento.waitForEvent((e) => e.type === 'IceCandidateFound' && e.object === ids.publisher, {
    what: 'IceCandidateFound from the publisher endpoint',
  });
  await pollUntil('publisher page ICE connected', () => publisherPage.state(), isConnected, { key: 'publisherState' });
  await trickle.settled();
  assert.ok(trickle.sentToNode > 0, 'the browser trickled at least one candidate to the node');
  assert.ok(trickle.sentToPage > 0, 'the node trickled at least one candidate to the browser');

  for (const mediaType of ['VIDEO', 'AUDIO']) {
    const event = await kurento.waitForEvent(flowEvent('MediaFlowInStateChanged', ids.publisher, mediaType, 'FLOWING'), {
      timeoutMs: MEDIA_DEADLINE_MS,
      what: `MediaFlowInStateChanged FLOWING ${mediaType} on the publisher endpoint`,
    });
    assert.equal(event.data.source, ids.publisher);
    assert.equal(event.data.padName, 'default');
  }
  assert.equal(await kurento.invoke(ids.publisher, 'isMediaFlowingIn', { mediaType: 'VIDEO' }), true);
  const sent = await pollUntil(
    'publisher page sends audio and video',
    () => publisherPage.outbound(),
    (s) => s?.video?.packetsSent > 0 && s?.audio?.packetsSent > 0,
    { key: 'publisherOutbound' },
  );
  assert.ok(sent.video.framesEncoded > 0);
});

it('a second browser receives the publisher through the PassThrough and decodes it', async () => {
  assert.ok(ids.passThrough, 'needs the publisher of the previous test');
  subscriberPage = await PeerPage.open(browser, pages.url, 'subscriber');

  ids.subscriber = await kurento.create('WebRtcEndpoint', { mediaPipeline: ids.pipeline });
  await subscribeEndpointEvents(ids.subscriber);
  const trickle = new Trickle(subscriberPage, ids.subscriber);
  await kurento.subscribe(ids.subscriber, 'IceCandidateFound', trickle.onNodeCandidate);
  await kurento.invoke(ids.passThrough, 'connect', { sink: ids.subscriber });

  const offer = await subscriberPage.subscribeOffer();
  assert.match(offer, /a=recvonly/, 'the subscriber offers recvonly media');
  const answer = await kurento.invoke(ids.subscriber, 'processOffer', { offer });
  assert.match(answer, /a=sendonly/, 'the node sends to a recvonly subscriber');
  assertAnswerHasLoopbackCandidate(answer, 'subscriber');
  trickle.nodeNegotiated();
  await subscriberPage.setAnswer(answer);
  trickle.pageNegotiated();
  await kurento.invoke(ids.subscriber, 'gatherCandidates');

  await pollUntil('subscriber page ICE connected', () => subscriberPage.state(), isConnected, { key: 'subscriberState' });
  await trickle.settled();

  // Frames decoded past 30 and still going up between two polls; audio packets likewise.
  const stats = await pollUntil(
    'subscriber decodes video (framesDecoded > 30 and growing) and receives audio (packetsReceived > 50 and growing)',
    () => subscriberPage.inbound(),
    (now, before) =>
      before?.video &&
      before?.audio &&
      before.video.framesDecoded > 30 &&
      now?.video?.framesDecoded > before.video.framesDecoded &&
      before.audio.packetsReceived > 50 &&
      now?.audio?.packetsReceived > before.audio.packetsReceived,
    { key: 'subscriberInbound' },
  );
  assert.ok(stats.video.frameWidth > 0 && stats.video.frameHeight > 0, `decoded video has a size: ${JSON.stringify(stats.video)}`);

  for (const mediaType of ['VIDEO', 'AUDIO']) {
    await kurento.waitForEvent(flowEvent('MediaFlowOutStateChanged', ids.subscriber, mediaType, 'FLOWING'), {
      timeoutMs: MEDIA_DEADLINE_MS,
      what: `MediaFlowOutStateChanged FLOWING ${mediaType} on the subscriber endpoint`,
    });
  }
  const errors = kurento.events.filter((e) => e.type === 'Error');
  assert.deepEqual(errors, [], 'no Error event from the node');
});

it('releasing the pipeline stops the media reaching the subscriber', async () => {
  assert.ok(ids.subscriber, 'needs the subscriber of the previous test');
  await kurento.release(ids.pipeline);

  // Counters that stay put across two polls 2 s apart (after the in-flight packets landed).
  const probeEvery2s = async () => {
    await new Promise((resolve) => setTimeout(resolve, 2000 - POLL_MS));
    return subscriberPage.inbound();
  };
  const stopped = await pollUntil(
    'subscriber packet counters stop growing after release',
    probeEvery2s,
    (now, before) =>
      before?.video &&
      before?.audio &&
      now?.video?.packetsReceived === before.video.packetsReceived &&
      now?.audio?.packetsReceived === before.audio.packetsReceived,
    { key: 'subscriberInboundAfterRelease' },
  );
  assert.ok(stopped.video.framesDecoded > 30);

  await assert.rejects(
    kurento.request('describe', { object: ids.subscriber }),
    (error) => error.code === 40101,
    'the released subscriber endpoint is gone (40101)',
  );
});
