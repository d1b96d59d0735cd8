// Recordings with openvidu-node-client 2.14.0 (npm alias openvidu-node-client-2-14)
// on the 2.13-era paths (/api/recordings/...), against an HTTPS plenum master
// (self-signed certificate) with recording on. One openvidu-browser 2.32.2 page
// in headless Chromium (started with --ignore-certificate-errors) publishes its
// fake camera and microphone with a token the 2.14 client generated.
//
// The basic flow: start (COMPOSED BEST_FIT, then INDIVIDUAL), get, list, stop,
// download through the Recording's url with Basic auth and check the file with
// ffprobe/ffmpeg, delete. Every request of the client must go to /api/...; the
// answers are the 2.16+ objects (as OpenVidu 2.16+ answers on the old paths),
// and the files are served on the old /recordings/ path too.
//
// Every wait polls REST or the page with a deadline.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startPlenum, tempDir } from './lib/plenum.js';
import { servePages } from './lib/browser.js';
import { launchChromiumForTls } from './lib/openvidu-2.13-page.js';
import { OpenViduPage } from './lib/openvidu-page.js';
import { loadClientWithRecorder } from './lib/requests.js';
import { rejectsWithStatus } from './lib/assertions.js';
import { pollUntil as poll } from './lib/poll.js';
import { diagnosedTest } from './lib/diagnosed-test.js';
import { readZip } from './lib/media-probe.js';
import { assertMedia, download, fetchFile } from './lib/recording-files.js';

// Plenum's certificate is self-signed; the client has no option for that.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
// The 2.14 client console.log()s every fetch and has no switch to stop it.
if (!process.env.E2E_CLIENT_LOGS) console.log = () => {};

const { client, calls } = loadClientWithRecorder('openvidu-node-client-2-14');
const { OpenVidu, OpenViduRole, Recording, RecordingLayout } = client;

const MEDIA_DEADLINE_MS = 45_000;
const READY_DEADLINE_MS = 30_000;
const RECORD_MS = 6_000;
const POLL_MS = 250;
const TEST_TIMEOUT_MS = 180_000;
const SECRET = 'e2e-secret-recording-214';

let plenum;
let recordingsDir;
let downloads;
let pages;
let browser;
let ov;
let session;
let page;
let streamId;

before(async () => {
  recordingsDir = path.join(tempDir('plenum-e2e-recording-214-'), 'recordings');
  mkdirSync(recordingsDir);
  downloads = tempDir('plenum-e2e-recording-214-downloads-');
  plenum = await startPlenum({
    SERVER_SSL_ENABLED: 'true',
    OPENVIDU_SECRET: SECRET,
    OPENVIDU_RECORDING: 'true',
    OPENVIDU_RECORDING_PATH: recordingsDir,
  });
  ov = new OpenVidu(plenum.url, plenum.secret);
  pages = await servePages();
  browser = await launchChromiumForTls();
});

after(async () => {
  await page?.close();
  await browser?.close();
  await pages?.close();
  const how = await plenum?.stop();
  assert.equal(how, 0, 'plenum exits cleanly on SIGTERM');
});

const it = diagnosedTest(TEST_TIMEOUT_MS, async () => {
  const parts = [];
  if (page) parts.push(await page.diagnostics().catch((e) => e.message));
  parts.push('--- 2.14 client calls ---', ...calls.map((c) => `${c.method} ${c.path} ${c.status}`));
  if (plenum) parts.push('--- plenum log, last lines ---', ...plenum.log().trimEnd().split('\n').slice(-100));
  return parts.join('\n');
});

/**
 * The Recording as the server answers on the 2.13 path: the 2.16+ object (OpenVidu 2.16+ rewrites /api/ to
 * /openvidu/api/, so old paths answer the new shapes, reference §1.0.1), the same as on the new path.
 * resolution, frameRate and layout only for COMPOSED with video, ignoreFailedStreams only for INDIVIDUAL;
 * Plenum (a Pro) may add mediaNode.
 */
async function assertNewShapeOnOldPath(raw, composedVideo) {
  const expected = ['createdAt', 'duration', 'hasAudio', 'hasVideo', 'id', 'name', 'object', 'outputMode', 'sessionId', 'size', 'status', 'url'];
  if (composedVideo) expected.push('frameRate', 'recordingLayout', 'resolution');
  if (raw.outputMode === 'INDIVIDUAL') expected.push('ignoreFailedStreams');
  const keys = Object.keys(raw).filter((k) => k !== 'mediaNode').sort();
  assert.deepEqual(keys, expected.sort(), `the Recording keys on /api/recordings: ${JSON.stringify(raw)}`);
  const fresh = await plenum.request('GET', `/openvidu/api/recordings/${encodeURIComponent(raw.id)}`);
  assert.deepEqual(fresh.json, raw, 'the same object on /openvidu/api/recordings');
}

/** The file is also served on the 2.13 path /recordings/<id>/<file>, with auth. */
async function assertOldFilePath(recording) {
  const oldPath = new URL(recording.url).pathname.replace(/^\/openvidu\/recordings\//, '/recordings/');
  const res = await fetchFile({ origin: plenum.url, rawPath: oldPath, auth: SECRET });
  assert.equal(res.status, 200, `GET ${oldPath}`);
  assert.equal(res.body.length, recording.size);
}

/** Start, run RECORD_MS (staying started), stop, wait ready, through the 2.14 client. */
async function record(properties) {
  const mark = calls.length;
  const started = await ov.startRecording(session.sessionId, properties);
  const startedAt = Date.now();
  assert.equal(started.status, Recording.Status.started);
  assert.equal(started.sessionId, session.sessionId);
  await poll(
    `${started.id} recording for ${RECORD_MS} ms`,
    async () => ({ elapsed: Date.now() - startedAt, status: (await ov.getRecording(started.id)).status }),
    ({ elapsed, status }) => {
      assert.equal(status, 'started');
      return elapsed >= RECORD_MS;
    },
    { deadlineMs: RECORD_MS + 15_000, pollMs: POLL_MS },
  );
  assert.ok((await ov.listRecordings()).some((r) => r.id === started.id), 'listRecordings() has it');
  const stoppedAt = Date.now();
  const stopped = await ov.stopRecording(started.id);
  assert.ok(['stopped', 'ready'].includes(stopped.status), `stop answers stopped or ready, got ${stopped.status}`);
  const ready = await poll(`${started.id} ready`, () => ov.getRecording(started.id), (r) => r.status === 'ready', {
    deadlineMs: READY_DEADLINE_MS,
    pollMs: POLL_MS,
  });
  assert.ok(Math.abs(ready.duration - (stoppedAt - startedAt) / 1000) <= 1, `duration ${ready.duration} s`);
  const paths = calls.slice(mark).map((c) => c.path);
  assert.ok(paths.length > 0 && paths.every((p) => p.startsWith('/api/recordings')), `the client used /api/recordings/...: ${paths}`);
  const raw = await plenum.request('GET', `/api/recordings/${encodeURIComponent(started.id)}`);
  assert.equal(raw.status, 200);
  return { ready, raw: raw.json };
}

async function deleteAndCheck(recording) {
  const mark = calls.length;
  await ov.deleteRecording(recording.id);
  await rejectsWithStatus(ov.getRecording(recording.id), '404');
  assert.deepEqual(
    calls.slice(mark).map((c) => `${c.method} ${c.path} ${c.status}`),
    [`DELETE /api/recordings/${recording.id} 204`, `GET /api/recordings/${recording.id} 404`],
  );
  assert.equal((await fetchFile({ url: recording.url, auth: SECRET })).status, 404, 'the file is gone');
}

it('a 2.32 page joins with a 2.14 token and publishes', async () => {
  session = await ov.createSession({ customSessionId: 'e2e-recording-214' });
  const token = await session.generateToken({ role: OpenViduRole.PUBLISHER, data: 'server-214' });
  assert.match(token, /^wss:\/\/127\.0\.0\.1:\d+\?sessionId=e2e-recording-214&token=tok_/);
  page = await OpenViduPage.open(browser, pages.url, 'publisher-214');
  await page.join(token, 'publisher-214');
  ({ streamId } = await page.publish());
  await poll(
    'the page sends video (framesEncoded > 30 and growing)',
    async () => (await page.stats()).publisher?.video ?? null,
    (now, before) => before?.framesEncoded > 30 && now?.framesEncoded > before.framesEncoded,
    { deadlineMs: MEDIA_DEADLINE_MS, pollMs: 500 },
  );
  const res = await plenum.request('GET', `/api/sessions/${session.sessionId}`);
  assert.deepEqual(res.json.connections.content.flatMap((c) => c.publishers.map((p) => p.streamId)), [streamId]);
});

it('COMPOSED BEST_FIT via /api/recordings: a 1280x720 H.264 + AAC .mp4 of the time recorded', async () => {
  assert.ok(streamId, 'needs the publisher of the first test');
  const { ready, raw } = await record({
    name: 'composed-214',
    outputMode: Recording.OutputMode.COMPOSED,
    recordingLayout: RecordingLayout.BEST_FIT,
    resolution: '1280x720',
    hasAudio: true,
    hasVideo: true,
  });
  await assertNewShapeOnOldPath(raw, true);
  assert.equal(raw.recordingLayout, 'BEST_FIT');
  assert.equal(raw.resolution, '1280x720');
  assert.equal(ready.properties.name, 'composed-214');
  assert.equal(ready.url, `${plenum.url}/openvidu/recordings/${ready.id}/composed-214.mp4`);
  await assertOldFilePath(ready);
  const file = await download(ready, SECRET, downloads);
  await assertMedia(file, { duration: ready.duration, video: { codec: 'h264', width: 1280, height: 720 }, audio: { codec: 'aac' } });
  await deleteAndCheck(ready);
});

it('INDIVIDUAL via /api/recordings: a .zip with the stream .webm and the sync file', async () => {
  assert.ok(streamId, 'needs the publisher of the first test');
  // The 2.14 client sends hasAudio/hasVideo as given (`!!undefined` is false): say both.
  const { ready, raw } = await record({ name: 'individual-214', outputMode: Recording.OutputMode.INDIVIDUAL, hasAudio: true, hasVideo: true });
  await assertNewShapeOnOldPath(raw, false);
  assert.equal(raw.outputMode, 'INDIVIDUAL');
  assert.equal(ready.url, `${plenum.url}/openvidu/recordings/${ready.id}/individual-214.zip`);
  const zip = readZip(readFileSync(await download(ready, SECRET, downloads)));
  assert.deepEqual(zip.map((e) => e.name).sort(), ['individual-214.json', `${streamId}.webm`].sort());
  const sync = JSON.parse(zip.find((e) => e.name === 'individual-214.json').data.toString('utf8'));
  assert.equal(sync.files.length, 1);
  const [entry] = sync.files;
  assert.equal(entry.streamId, streamId);
  assert.ok(entry.startTimeOffset >= 0 && entry.startTimeOffset < 2000, `startTimeOffset ${entry.startTimeOffset}`);
  assert.ok(entry.endTimeOffset > entry.startTimeOffset && entry.endTimeOffset <= ready.duration * 1000 + 1000, `endTimeOffset ${entry.endTimeOffset}`);
  const webm = path.join(downloads, `214-${entry.name}`);
  writeFileSync(webm, zip.find((e) => e.name === entry.name).data);
  await assertMedia(webm, { duration: (entry.endTimeOffset - entry.startTimeOffset) / 1000, video: { codec: 'vp8' }, audio: { codec: 'opus' } });
  await deleteAndCheck(ready);
});

it('2.14 refusals: unknown ids 404, both tracks off 422, a second start 409', async () => {
  assert.ok(streamId, 'needs the publisher of the first test');
  await rejectsWithStatus(ov.getRecording('nope'), '404');
  await rejectsWithStatus(ov.stopRecording('nope'), '404');
  // What the 2.14 client sends for properties without hasAudio/hasVideo: both false.
  await rejectsWithStatus(ov.startRecording(session.sessionId, { name: 'no-tracks' }), '422');
  const started = await ov.startRecording(session.sessionId, { name: 'refusals-214', hasAudio: true, hasVideo: true });
  await rejectsWithStatus(ov.startRecording(session.sessionId), '409');
  // Stop once the recording has written something (one stopped within milliseconds of its start has no frame).
  const file = path.join(recordingsDir, started.id, 'refusals-214.mp4');
  await poll(`${file} written`, async () => (existsSync(file) ? statSync(file).size : 0), (size) => size > 0, {
    deadlineMs: 15_000,
    pollMs: POLL_MS,
  });
  await ov.stopRecording(started.id);
  const ready = await poll(`${started.id} ready`, () => ov.getRecording(started.id), (r) => r.status === 'ready', {
    deadlineMs: READY_DEADLINE_MS,
    pollMs: POLL_MS,
  });
  await deleteAndCheck(ready);
});
