// Recordings with openvidu-node-client 2.32.2 against a real plenum master
// (embedded media node, OPENVIDU_RECORDING=true), with two openvidu-browser
// 2.32.2 pages in headless Chromium publishing their fake cameras and
// microphones into one session.
//
// COMPOSED recordings in each layout, an audio-only one and an INDIVIDUAL one are
// started, watched while they run (REST status, `session.recording`, the pages'
// recordingStarted/recordingStopped events), stopped, fetched, listed, downloaded
// through their `url` with Basic auth and checked with ffprobe/ffmpeg
// (lib/media-probe.js): codecs and resolution, a duration within ±1 s of the
// Recording's (itself within ±1 s of the time recorded), an audio track that is
// not silent, and a decoded frame that is not blank. Then deleted. Also the file
// server: 401 without credentials, a 206 range answer, traversal refused.
//
// Every wait polls REST, the pages or the disk with a deadline.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startPlenum, tempDir } from './lib/plenum.js';
import { launchChromium, servePages } from './lib/browser.js';
import { OpenViduPage, OPENVIDU_BROWSER_VERSION } from './lib/openvidu-page.js';
import { pollUntil as poll } from './lib/poll.js';
import { is, bySubscriber } from './lib/page-events.js';
import { diagnosedTest } from './lib/diagnosed-test.js';
import { rejectsWithStatus } from './lib/assertions.js';
import { readZip } from './lib/media-probe.js';
import { assertMedia, download, fetchFile } from './lib/recording-files.js';

const require = createRequire(import.meta.url);
const { OpenVidu, OpenViduRole, Recording, RecordingLayout } = require('openvidu-node-client');

const EVENT_DEADLINE_MS = 15_000;
const MEDIA_DEADLINE_MS = 45_000;
/** A stopped recording must be `ready` within this (the file is finalised in the background). */
const READY_DEADLINE_MS = 30_000;
/** How long each recording runs: long enough for ±1 s to be a real check. */
const RECORD_MS = 6_000;
const POLL_MS = 250;
const TEST_TIMEOUT_MS = 180_000;
const SECRET = 'e2e-secret-recording';

let plenum;
let recordingsDir;
let downloads;
let pages;
let browser;
let ov;
let session;
const allPages = [];
/** The two publishers' stream ids, as REST lists them. */
let streamIds = [];
/** Recording ids made by the tests, so that a failure can list them. */
const made = [];

before(async () => {
  assert.equal(OPENVIDU_BROWSER_VERSION, '2.32.2');
  const root = tempDir('plenum-e2e-recording-');
  recordingsDir = path.join(root, 'recordings');
  mkdirSync(recordingsDir);
  // Next to the recordings folder, never to be served: the traversal test asks for it.
  writeFileSync(path.join(root, 'outside.txt'), 'SENTINEL-outside-the-recordings');
  downloads = tempDir('plenum-e2e-recording-downloads-');
  plenum = await startPlenum({
    OPENVIDU_SECRET: SECRET,
    OPENVIDU_RECORDING: 'true',
    OPENVIDU_RECORDING_PATH: recordingsDir,
    OPENVIDU_RECORDING_PUBLIC_ACCESS: 'false',
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
  assert.equal(how, 0, 'plenum exits cleanly on SIGTERM');
});

const it = diagnosedTest(TEST_TIMEOUT_MS, diagnostics);

async function diagnostics() {
  const parts = [];
  for (const page of allPages) parts.push(await page.diagnostics().catch((e) => `--- page ${page.name}: ${e.message}`));
  if (plenum) {
    const list = await plenum.request('GET', '/openvidu/api/recordings').catch((e) => ({ text: e.message }));
    parts.push(`--- recordings made: ${made.join(', ')}`, `--- GET /openvidu/api/recordings: ${list.text}`);
    parts.push('--- plenum log, last lines ---', ...plenum.log().trimEnd().split('\n').slice(-100));
  }
  return parts.join('\n');
}

const pollUntil = (what, probe, done, deadlineMs = EVENT_DEADLINE_MS) => poll(what, probe, done, { deadlineMs, pollMs: POLL_MS });

/** The Recording as the server has it (raw JSON). */
async function restRecording(id) {
  const res = await plenum.request('GET', `/openvidu/api/recordings/${encodeURIComponent(id)}`);
  assert.equal(res.status, 200, `GET /openvidu/api/recordings/${id}: ${res.text}`);
  return res.json;
}

/**
 * Starts a recording of the session with `properties`, lets it run for RECORD_MS (checking
 * on the way that it stays `started`), stops it and waits until it is `ready`.
 * Resolves {started, stopped, ready, recordedMs, raw}.
 */
async function record(properties) {
  const t0 = Date.now();
  const started = await ov.startRecording(session.sessionId, properties);
  const startedAt = Date.now();
  made.push(started.id);
  assert.equal(started.status, Recording.Status.started, 'the start answer says started');
  assert.equal(started.sessionId, session.sessionId);
  assert.match(started.id, new RegExp(`^${session.sessionId}(~\\d+)?$`), 'the id is the session id, or with ~N');
  assert.ok(started.createdAt >= t0 - 1000 && started.createdAt <= startedAt + 1000, `createdAt ${started.createdAt}`);
  assert.equal(started.url ?? null, null, 'no url while recording');
  // The recording runs for RECORD_MS: poll it meanwhile, it must stay `started` and be listed.
  await pollUntil(
    `${started.id} recording for ${RECORD_MS} ms`,
    async () => ({ elapsed: Date.now() - startedAt, status: (await restRecording(started.id)).status }),
    (value) => {
      assert.equal(value.status, 'started', `${started.id} is still started after ${value.elapsed} ms`);
      return value.elapsed >= RECORD_MS;
    },
    RECORD_MS + EVENT_DEADLINE_MS,
  );
  await session.fetch();
  assert.equal(session.recording, true, 'Session.fetch() says the session is being recorded');
  const listed = await ov.listRecordings();
  assert.ok(listed.some((r) => r.id === started.id && r.status === 'started'), 'listRecordings() has it, started');

  const stoppedAt = Date.now();
  const stopped = await ov.stopRecording(started.id);
  const recordedMs = stoppedAt - startedAt;
  assert.equal(stopped.id, started.id);
  assert.ok(['stopped', 'ready'].includes(stopped.status), `stop answers stopped or ready, got ${stopped.status}`);
  const ready = await poll(
    `${started.id} ready`,
    () => ov.getRecording(started.id),
    (r) => {
      assert.notEqual(r.status, 'failed', `${started.id} failed`);
      return r.status === 'ready';
    },
    { deadlineMs: READY_DEADLINE_MS, pollMs: POLL_MS },
  );
  assert.ok(
    Math.abs(ready.duration - recordedMs / 1000) <= 1,
    `the Recording's duration ${ready.duration} s is the ${recordedMs / 1000} s recorded ± 1 s`,
  );
  assert.ok(ready.size > 0, 'a ready recording has a size');
  await session.fetch();
  assert.equal(session.recording, false, 'Session.fetch() says recording stopped');
  return { started, stopped, ready, recordedMs, raw: await restRecording(started.id) };
}

/** Every page got recordingStarted and recordingStopped (reason recordingStoppedByServer) for `recording`. */
async function pagesWereTold(recording) {
  // openvidu-node-client 2.32's Recording keeps the name in `properties`.
  const name = recording.properties.name;
  assert.equal(typeof name, 'string');
  for (const page of allPages) {
    await page.waitForEvent(is('recordingStarted', { id: recording.id, name }), {
      what: `recordingStarted ${recording.id}`,
    });
    await page.waitForEvent(is('recordingStopped', { id: recording.id, name, reason: 'recordingStoppedByServer' }), {
      what: `recordingStopped ${recording.id}`,
    });
  }
}

/** Deletes a recording and checks it is gone everywhere: REST, the list, the file server, the disk. */
async function deleteAndCheck(recording) {
  await ov.deleteRecording(recording.id);
  await rejectsWithStatus(ov.getRecording(recording.id), '404');
  assert.ok(!(await ov.listRecordings()).some((r) => r.id === recording.id), 'listRecordings() no longer has it');
  const res = await fetchFile({ url: recording.url, auth: SECRET });
  assert.equal(res.status, 404, `GET ${recording.url} after the delete`);
  await pollUntil(`the folder of ${recording.id} removed`, async () => existsSync(path.join(recordingsDir, recording.id)), (exists) => !exists);
}

/** OpenVidu's 15 keys of a COMPOSED recording with video; Plenum (a Pro) may add `mediaNode`. */
const COMPOSED_KEYS = [
  'createdAt', 'duration', 'frameRate', 'hasAudio', 'hasVideo', 'id', 'name', 'object', 'outputMode',
  'recordingLayout', 'resolution', 'sessionId', 'size', 'status', 'url',
];
function assertKeys(raw, expected) {
  const keys = Object.keys(raw).filter((k) => k !== 'mediaNode').sort();
  assert.deepEqual(keys, [...expected].sort(), `the Recording's keys: ${JSON.stringify(raw)}`);
}

async function joinedPublisher(name) {
  const connection = await session.createConnection({ role: OpenViduRole.PUBLISHER, data: `server-${name}` });
  const page = await OpenViduPage.open(browser, pages.url, name);
  allPages.push(page);
  await page.join(connection.token, name);
  const { streamId } = await page.publish();
  return { page, streamId };
}

it('two pages publish into one session and receive each other', async () => {
  session = await ov.createSession({ customSessionId: 'e2e-recording' });
  const a = await joinedPublisher('alice');
  const b = await joinedPublisher('bob');
  // Each decodes the other: media reaches the node, so there is something to record.
  for (const [viewer, streamId] of [[a.page, b.streamId], [b.page, a.streamId]]) {
    await viewer.waitForEvent(bySubscriber('subscribed', { streamId }), { what: `subscribed to ${streamId}`, timeoutMs: MEDIA_DEADLINE_MS });
    await poll(
      `[${viewer.name}] decodes ${streamId}`,
      async () => (await viewer.stats()).subscribers[streamId]?.video ?? null,
      (now, before) => before?.framesDecoded > 30 && now?.framesDecoded > before.framesDecoded,
      { deadlineMs: MEDIA_DEADLINE_MS, pollMs: 500 },
    );
  }
  const res = await plenum.request('GET', `/openvidu/api/sessions/${session.sessionId}`);
  streamIds = res.json.connections.content.flatMap((c) => c.publishers.map((p) => p.streamId)).sort();
  assert.deepEqual(streamIds, [a.streamId, b.streamId].sort());
});

for (const layout of [
  RecordingLayout.BEST_FIT,
  RecordingLayout.PICTURE_IN_PICTURE,
  RecordingLayout.VERTICAL_PRESENTATION,
  // openvidu-node-client 2.32.2 defines RecordingLayout.HORIZONTAL_PRESENTATION as "VERTICAL_PRESENTATION"
  // (lib/RecordingLayout.js): an application writes the string to get this layout.
  'HORIZONTAL_PRESENTATION',
]) {
  it(`COMPOSED ${layout}: start, get, list, stop, download a 1280x720 H.264 + AAC .mp4, delete`, async () => {
    assert.equal(streamIds.length, 2, 'needs the publishers of the first test');
    const name = `composed-${layout.toLowerCase()}`;
    const { ready, recordedMs, raw } = await record({
      name,
      outputMode: Recording.OutputMode.COMPOSED,
      recordingLayout: layout,
      resolution: '1280x720',
      frameRate: 25,
      hasAudio: true,
      hasVideo: true,
    });
    assertKeys(raw, COMPOSED_KEYS);
    assert.equal(raw.object, 'recording');
    assert.equal(raw.name, name);
    assert.equal(raw.outputMode, 'COMPOSED');
    assert.equal(raw.recordingLayout, layout);
    assert.equal(raw.resolution, '1280x720');
    assert.equal(raw.frameRate, 25);
    assert.equal(raw.url, `${plenum.url}/openvidu/recordings/${ready.id}/${name}.mp4`);
    assert.equal(ready.properties.recordingLayout, layout, 'the client read the layout back');
    assert.ok(existsSync(path.join(recordingsDir, ready.id, `${name}.mp4`)), 'the .mp4 is in OPENVIDU_RECORDING_PATH/<id>/');
    assert.ok(existsSync(path.join(recordingsDir, ready.id, `${name}.jpg`)), 'with its .jpg thumbnail');
    await pagesWereTold(ready);

    const file = await download(ready, SECRET, downloads);
    // BEST_FIT with two inputs puts them side by side: both halves hold a picture.
    const halves =
      layout === RecordingLayout.BEST_FIT
        ? [
            { x: 0, y: 0, w: 640, h: 720, what: 'the left half' },
            { x: 640, y: 0, w: 640, h: 720, what: 'the right half' },
          ]
        : [];
    await assertMedia(file, {
      duration: ready.duration,
      video: { codec: 'h264', width: 1280, height: 720 },
      audio: { codec: 'aac' },
      regions: halves,
    });
    assert.ok(Math.abs(ready.duration - recordedMs / 1000) <= 1);
    await deleteAndCheck(ready);
  });
}

it('COMPOSED audio-only (hasVideo false): an Opus .webm without video', async () => {
  assert.equal(streamIds.length, 2, 'needs the publishers of the first test');
  const { ready, raw } = await record({ name: 'audio-only', outputMode: Recording.OutputMode.COMPOSED, hasAudio: true, hasVideo: false });
  // No resolution, frame rate or layout for a recording without video.
  assertKeys(raw, COMPOSED_KEYS.filter((k) => !['frameRate', 'recordingLayout', 'resolution'].includes(k)));
  assert.equal(raw.hasVideo, false);
  assert.equal(raw.hasAudio, true);
  assert.equal(raw.url, `${plenum.url}/openvidu/recordings/${ready.id}/audio-only.webm`);
  const file = await download(ready, SECRET, downloads);
  await assertMedia(file, { duration: ready.duration, video: false, audio: { codec: 'opus' } });
  await deleteAndCheck(ready);
});

it('INDIVIDUAL: a .zip of one .webm per stream and <name>.json with sane offsets', async () => {
  assert.equal(streamIds.length, 2, 'needs the publishers of the first test');
  const { ready, raw } = await record({ name: 'individual', outputMode: Recording.OutputMode.INDIVIDUAL });
  // INDIVIDUAL: no resolution, frame rate or layout, but ignoreFailedStreams (2.32).
  assertKeys(raw, [...COMPOSED_KEYS.filter((k) => !['frameRate', 'recordingLayout', 'resolution'].includes(k)), 'ignoreFailedStreams']);
  assert.equal(raw.ignoreFailedStreams, false);
  assert.equal(raw.outputMode, 'INDIVIDUAL');
  assert.equal(raw.url, `${plenum.url}/openvidu/recordings/${ready.id}/individual.zip`);
  await pagesWereTold(ready);
  const zipFile = await download(ready, SECRET, downloads);
  const entries = readZip(readFileSync(zipFile));
  const names = entries.map((e) => e.name).sort();
  assert.deepEqual(names, ['individual.json', ...streamIds.map((s) => `${s}.webm`)].sort(), 'the zip holds one .webm per stream and the sync file');

  const sync = JSON.parse(entries.find((e) => e.name === 'individual.json').data.toString('utf8'));
  assert.equal(sync.id, ready.id);
  assert.equal(sync.name, 'individual');
  assert.equal(sync.sessionId, session.sessionId);
  assert.equal(typeof sync.createdAt, 'number');
  assert.deepEqual(sync.files.map((f) => f.streamId).sort(), streamIds);
  const durationMs = ready.duration * 1000;
  for (const entry of sync.files) {
    const data = entries.find((e) => e.name === entry.name);
    assert.ok(data, `the sync file names ${entry.name}, which is in the zip`);
    assert.equal(entry.name, `${entry.streamId}.webm`);
    assert.match(entry.connectionId, /^con_/);
    assert.ok(entry.streamId.endsWith(entry.connectionId), `${entry.streamId} belongs to ${entry.connectionId}`);
    assert.equal(entry.size, data.data.length, `${entry.name}: the size in the sync file is the file's`);
    assert.equal(entry.hasAudio, true);
    assert.equal(entry.hasVideo, true);
    assert.equal(entry.typeOfVideo, 'CAMERA');
    assert.equal(typeof entry.clientData, 'string');
    assert.equal(entry.serverData.startsWith('server-'), true, `serverData ${entry.serverData}`);
    // Both streams were flowing before the start: each file starts within 2 s of it and ends by the stop.
    assert.ok(entry.startTimeOffset >= 0 && entry.startTimeOffset < 2000, `${entry.name}: startTimeOffset ${entry.startTimeOffset} ms`);
    assert.ok(entry.endTimeOffset > entry.startTimeOffset, `${entry.name}: endTimeOffset ${entry.endTimeOffset} after the start`);
    assert.ok(entry.endTimeOffset <= durationMs + 1000, `${entry.name}: endTimeOffset ${entry.endTimeOffset} ms within the ${durationMs} ms recording`);
    const file = path.join(downloads, entry.name);
    writeFileSync(file, data.data);
    await assertMedia(file, {
      duration: (entry.endTimeOffset - entry.startTimeOffset) / 1000,
      video: { codec: 'vp8' },
      audio: { codec: 'opus' },
    });
  }
  await deleteAndCheck(ready);
});

it('refusals: a second start while recording (409), deleting a started recording (409), unknown ids (404)', async () => {
  assert.equal(streamIds.length, 2, 'needs the publishers of the first test');
  const started = await ov.startRecording(session.sessionId, { name: 'refusals' });
  made.push(started.id);
  await rejectsWithStatus(ov.startRecording(session.sessionId, { name: 'again' }), '409');
  await rejectsWithStatus(ov.deleteRecording(started.id), '409');
  await rejectsWithStatus(ov.stopRecording('no-such-recording'), '404');
  await rejectsWithStatus(ov.getRecording('no-such-recording'), '404');
  // Stop once the recording has written something (one stopped within milliseconds of its start has no frame).
  const file = path.join(recordingsDir, started.id, 'refusals.mp4');
  await poll(`${file} written`, async () => (existsSync(file) ? statSync(file).size : 0), (size) => size > 0, {
    deadlineMs: 15_000,
    pollMs: POLL_MS,
  });
  await ov.stopRecording(started.id);
  const ready = await poll(`${started.id} ready`, () => ov.getRecording(started.id), (r) => r.status === 'ready', {
    deadlineMs: READY_DEADLINE_MS,
    pollMs: POLL_MS,
  });
  await rejectsWithStatus(ov.stopRecording(started.id), '409');
  await deleteAndCheck(ready);
});

it('file serving: 401 without credentials, 206 for a range, traversal refused', async () => {
  assert.equal(streamIds.length, 2, 'needs the publishers of the first test');
  const { ready } = await record({ name: 'served', hasVideo: false });
  const whole = await fetchFile({ url: ready.url, auth: SECRET });
  assert.equal(whole.status, 200);
  assert.equal(whole.body.length, ready.size);

  const anonymous = await fetchFile({ url: ready.url });
  assert.equal(anonymous.status, 401, 'OPENVIDU_RECORDING_PUBLIC_ACCESS=false: no file without credentials');
  const wrong = await fetchFile({ url: ready.url, auth: 'not-the-secret' });
  assert.equal(wrong.status, 401, 'nor with a wrong secret');

  const range = await fetchFile({ url: ready.url, auth: SECRET, headers: { Range: 'bytes=0-99' } });
  assert.equal(range.status, 206, 'a Range request gets 206');
  assert.equal(range.headers['content-range'], `bytes 0-99/${ready.size}`);
  assert.equal(range.body.length, 100);
  assert.deepEqual(range.body, whole.body.subarray(0, 100), 'the range holds the first 100 bytes of the file');
  const tail = await fetchFile({ url: ready.url, auth: SECRET, headers: { Range: 'bytes=-10' } });
  assert.equal(tail.status, 206);
  assert.deepEqual(tail.body, whole.body.subarray(whole.body.length - 10), 'a suffix range holds the last 10 bytes');

  const base = `/openvidu/recordings`;
  for (const rawPath of [
    `${base}/../outside.txt`,
    `${base}/${ready.id}/../../outside.txt`,
    `${base}/%2e%2e/outside.txt`,
    `${base}/${ready.id}/..%2f..%2foutside.txt`,
    `${base}/${ready.id}/%2e%2e%2f%2e%2e%2foutside.txt`,
    `${base}/..%5coutside.txt`,
    `${base}/${ready.id}/....//....//outside.txt`,
    `${base}//etc/passwd`,
    `${base}/${ready.id}/../../../../../../etc/passwd`,
  ]) {
    const res = await fetchFile({ origin: plenum.url, rawPath, auth: SECRET });
    const body = res.body.toString('utf8');
    assert.ok([400, 403, 404].includes(res.status), `${rawPath}: refused, got ${res.status}`);
    assert.ok(!body.includes('SENTINEL') && !body.includes('root:'), `${rawPath}: nothing from outside the recordings`);
  }
  await deleteAndCheck(ready);
});
