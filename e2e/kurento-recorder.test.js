// The stock kurento-client 7.3.0 from npm drives a RecorderEndpoint on a real
// plenum-media-node, with no OpenVidu master in between (docs/recording.md: the
// node implements Kurento's classes, so Kurento's own client can record).
//
// A headless Chromium page publishes its fake camera and microphone to a
// WebRtcEndpoint; the endpoint feeds a WEBM RecorderEndpoint and a
// WEBM_AUDIO_ONLY one; both record for a few seconds and stop with
// stopAndWait. The files must be a VP8 + Opus WebM and an Opus-only WebM of
// the time recorded (±1 s), with a picture that is not blank and sound. A URI
// with another scheme than file:// is refused.
//
// kurento-client 7.3.0 names a GitHub fork of reconnect-ws that npm cannot
// fetch without git; package.json overrides it with reconnect-ws 0.1.0 from
// npm and websocket-stream 5.5.2, and the client is given `socket:
// {objectMode: true}` so that each JSON-RPC message is one text frame (as a
// byte stream, websocket-stream may split or join messages across frames).
//
// Every wait polls the node's events or the page with a deadline.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { diagnosedTest } from './lib/diagnosed-test.js';
import { pollUntil } from './lib/poll.js';
import { startMediaNode } from './lib/media-node.js';
import { launchChromium, servePages, PeerPage } from './lib/browser.js';
import { tempDir } from './lib/plenum.js';
import { assertMedia } from './lib/recording-files.js';

const require = createRequire(import.meta.url);
const kurentoClient = require('kurento-client');
const KURENTO_CLIENT_VERSION = require('kurento-client/package.json').version;

const MEDIA_DEADLINE_MS = 30_000;
const RECORD_MS = 5_000;
const TEST_TIMEOUT_MS = 120_000;

let node;
let pages;
let browser;
let client;
let pipeline;
let publisherPage;
let dir;
/** Every event the test's objects raised: {at, object, type, data}. */
const events = [];

before(async () => {
  assert.equal(KURENTO_CLIENT_VERSION, '7.3.0');
  dir = tempDir('plenum-e2e-kurento-recorder-');
  // Recordings must be inside the node's recording root (docs/recording.md): this test's folder.
  node = await startMediaNode({ args: ['--recording-root', dir] });
  pages = await servePages();
  browser = await launchChromium();
  client = await kurentoClient(node.uri, { failAfter: 1, socket: { objectMode: true } });
});

after(async () => {
  await pipeline?.release().catch(() => {});
  client?.close();
  await publisherPage?.close();
  await browser?.close();
  await pages?.close();
  if (node) assert.equal(await node.stop(), 0, 'plenum-media-node exits cleanly on SIGINT');
});

const it = diagnosedTest(TEST_TIMEOUT_MS, async () =>
  [
    '--- events ---',
    ...events.map((e) => `${e.at} ${e.object} ${e.type} ${JSON.stringify(e.data)}`),
    ...(publisherPage ? [`--- page`, ...(await publisherPage.history()).map(String), ...publisherPage.log.slice(-30)] : []),
    '--- plenum-media-node log ---',
    node?.tail(80) ?? '',
  ].join('\n'),
);

/** Keeps every event of `object` of these types in `events`. */
function watch(object, types) {
  for (const type of types) {
    object.on(type, (data) => events.push({ at: new Date().toISOString().slice(11, 23), object: object.id, type, data }));
  }
}

const seen = (object, type, match = () => true) => events.find((e) => e.object === object.id && e.type === type && match(e.data));

function waitForEvent(object, type, match, what) {
  return pollUntil(what ?? `${type} on ${object.id}`, async () => seen(object, type, match) ?? null, Boolean, {
    deadlineMs: MEDIA_DEADLINE_MS,
    pollMs: 200,
  });
}

let webrtc;

it('kurento-client publishes a browser to a WebRtcEndpoint, media flowing in', async () => {
  pipeline = await client.create('MediaPipeline');
  webrtc = await pipeline.create('WebRtcEndpoint');
  watch(webrtc, ['MediaFlowInStateChanged', 'Error']);
  publisherPage = await PeerPage.open(browser, pages.url, 'publisher');

  // Candidates both ways, each side's held until the other has its SDP.
  const toNode = [];
  let nodeReady = false;
  const toPage = [];
  let pageReady = false;
  const IceCandidate = kurentoClient.getComplexType('IceCandidate');
  publisherPage.onCandidate((candidate) => {
    if (!candidate?.candidate) return;
    if (nodeReady) webrtc.addIceCandidate(IceCandidate(candidate)).catch((e) => events.push({ type: 'addIceCandidate', data: e.message }));
    else toNode.push(candidate);
  });
  webrtc.on('IceCandidateFound', ({ candidate }) => {
    const plain = { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex };
    if (pageReady) publisherPage.addIceCandidate(plain).catch(() => {});
    else toPage.push(plain);
  });

  const offer = await publisherPage.publishOffer();
  const answer = await webrtc.processOffer(offer);
  assert.match(answer, /^v=0/);
  nodeReady = true;
  for (const candidate of toNode.splice(0)) await webrtc.addIceCandidate(IceCandidate(candidate));
  await publisherPage.setAnswer(answer);
  pageReady = true;
  for (const candidate of toPage.splice(0)) await publisherPage.addIceCandidate(candidate);
  await webrtc.gatherCandidates();

  for (const mediaType of ['VIDEO', 'AUDIO']) {
    await waitForEvent(webrtc, 'MediaFlowInStateChanged', (d) => d.mediaType === mediaType && d.state === 'FLOWING');
  }
});

it('a WEBM and a WEBM_AUDIO_ONLY RecorderEndpoint record it; stopAndWait leaves playable files', async () => {
  assert.ok(webrtc, 'needs the publisher of the previous test');
  const video = { uri: `file://${path.join(dir, 'nested', 'av.webm')}`, mediaProfile: 'WEBM' };
  const audio = { uri: `file://${path.join(dir, 'audio.webm')}`, mediaProfile: 'WEBM_AUDIO_ONLY' };
  const recorders = [];
  for (const params of [video, audio]) {
    const recorder = await pipeline.create('RecorderEndpoint', params);
    watch(recorder, ['Recording', 'Paused', 'Stopped', 'UriEndpointStateChanged', 'Error']);
    assert.equal(await recorder.getUri(), params.uri);
    assert.equal(await recorder.getState(), 'STOP', 'a new recorder is stopped');
    await webrtc.connect(recorder);
    recorders.push(recorder);
  }
  const startedAt = Date.now();
  for (const recorder of recorders) await recorder.record();
  for (const recorder of recorders) {
    await waitForEvent(recorder, 'UriEndpointStateChanged', (d) => d.state === 'START');
    await waitForEvent(recorder, 'Recording');
    assert.equal(await recorder.getState(), 'START');
  }
  // Record for RECORD_MS, polling the recorders meanwhile: they must stay recording, without an Error.
  await pollUntil(
    `recording for ${RECORD_MS} ms`,
    async () => ({ elapsed: Date.now() - startedAt, states: await Promise.all(recorders.map((r) => r.getState())) }),
    ({ elapsed, states }) => {
      assert.deepEqual(states, ['START', 'START']);
      assert.equal(events.filter((e) => e.type === 'Error').length, 0, 'no Error event');
      return elapsed >= RECORD_MS;
    },
    { deadlineMs: RECORD_MS + MEDIA_DEADLINE_MS, pollMs: 500 },
  );
  const stoppedAt = Date.now();
  for (const recorder of recorders) await recorder.stopAndWait();
  const recordedS = (stoppedAt - startedAt) / 1000;
  for (const recorder of recorders) {
    assert.equal(await recorder.getState(), 'STOP');
    await waitForEvent(recorder, 'Stopped');
    await waitForEvent(recorder, 'UriEndpointStateChanged', (d) => d.state === 'STOP');
  }
  const avFile = new URL(video.uri).pathname;
  const audioFile = new URL(audio.uri).pathname;
  assert.ok(existsSync(avFile), 'the recorder made the missing folder and wrote the file');
  await assertMedia(avFile, { duration: recordedS, video: { codec: 'vp8' }, audio: { codec: 'opus' } });
  await assertMedia(audioFile, { duration: recordedS, video: false, audio: { codec: 'opus' } });
});

it('a RecorderEndpoint URI that is not file:// is refused', async () => {
  assert.ok(pipeline, 'needs the pipeline of the first test');
  await assert.rejects(
    pipeline.create('RecorderEndpoint', { uri: 'http://127.0.0.1:1/upload.webm', mediaProfile: 'WEBM' }),
    (error) => {
      assert.match(String(error.message), /http/i, `the error names the scheme: ${error.message}`);
      return true;
    },
  );
});
