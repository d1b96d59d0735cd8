// Recordings on a remote media node: a second `plenum-media-node` process,
// added by URI, with its own --recording-root and PLENUM_NODE_SECRET set to the
// master's secret. A session placed on it (mediaNode) is recorded there; after
// the stop the master pulls the files over the node's control port into
// OPENVIDU_RECORDING_PATH, checks them, and the node deletes its copies
// (docs/recording.md, "Files on remote nodes"). Then the node is SIGKILLed in
// the middle of a recording: the recording becomes `failed` with reason
// nodeCrashed (CDR), and a stop call answers instead of hanging.
//
// Every wait polls REST, the disk or the CDR with a deadline.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startPlenum, tempDir } from './lib/plenum.js';
import { startMediaNode } from './lib/media-node.js';
import { launchChromium, servePages } from './lib/browser.js';
import { OpenViduPage } from './lib/openvidu-page.js';
import { pollUntil } from './lib/poll.js';
import { diagnosedTest } from './lib/diagnosed-test.js';
import { assertMedia, download } from './lib/recording-files.js';

const require = createRequire(import.meta.url);
const { OpenVidu, OpenViduRole, Recording } = require('openvidu-node-client');

const SECRET = 'e2e-secret-remote-recording';
const RECORD_MS = 5_000;
const DEADLINE_MS = 30_000;
const POLL_MS = 250;
const MEDIA_NODES = '/openvidu/api/media-nodes';

let plenum;
let node;
let nodeRoot;
let recordingsDir;
let cdrDir;
let downloads;
let pages;
let browser;
let ov;
let session;
let nodeId;
const allPages = [];

before(async () => {
  const root = tempDir('plenum-e2e-remote-recording-');
  recordingsDir = path.join(root, 'master-recordings');
  nodeRoot = path.join(root, 'node-recordings');
  cdrDir = tempDir('plenum-e2e-remote-recording-cdr-');
  downloads = tempDir('plenum-e2e-remote-recording-downloads-');
  plenum = await startPlenum({
    OPENVIDU_SECRET: SECRET,
    OPENVIDU_RECORDING: 'true',
    OPENVIDU_RECORDING_PATH: recordingsDir,
    OPENVIDU_CDR: 'true',
    OPENVIDU_CDR_PATH: cdrDir,
    OPENVIDU_PRO_CLUSTER_PATH: tempDir('plenum-e2e-remote-recording-cluster-'),
  });
  node = await startMediaNode({ args: ['--recording-root', nodeRoot], env: { PLENUM_NODE_SECRET: SECRET } });
  const added = await plenum.request('POST', MEDIA_NODES, { body: { uri: node.uri } });
  assert.equal(added.status, 200, `adding the remote node: ${added.text}`);
  nodeId = JSON.parse(added.text).id;
  ov = new OpenVidu(plenum.url, plenum.secret);
  ov.enableProdMode();
  pages = await servePages();
  browser = await launchChromium();
});

after(async () => {
  for (const page of allPages) await page.close();
  await browser?.close();
  await pages?.close();
  await node?.stop();
  await plenum?.stop();
});

const it = diagnosedTest(180_000, async () => (await diagnosticParts()).join('\n'));

async function diagnosticParts() {
  return [
  ...(await Promise.all(allPages.map((p) => p.diagnostics().catch((e) => `--- page ${p.name}: ${e.message}`)))),
  '--- media node log ---',
  node?.tail(60) ?? '',
  '--- plenum log ---',
  ...(plenum?.log().trimEnd().split('\n').slice(-80) ?? []),
  ];
}

/** Files under `dir`, relative, sorted (none when it does not exist). */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)))
    .sort();
}

/** recordingStatusChanged lines of the CDR for `id`, as [status, reason]. */
function cdrStatuses(id) {
  const lines = readdirSync(cdrDir)
    .filter((f) => f.startsWith('CDR'))
    .flatMap((f) => readFileSync(path.join(cdrDir, f), 'utf8').split('\n'))
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  return lines
    .map((entry) => entry.recordingStatusChanged)
    .filter((e) => e && e.id === id)
    .map((e) => [e.status, e.reason ?? null]);
}

async function recordFor(ms, properties) {
  const started = await ov.startRecording(session.sessionId, properties);
  assert.equal(started.status, 'started');
  const deadline = Date.now() + ms;
  await pollUntil(`${started.id} runs for ${ms} ms`, async () => Date.now(), (now) => now >= deadline, { deadlineMs: ms + 5_000, pollMs: POLL_MS });
  return started;
}

it('a session on a remote node is recorded there and its files are pulled to the master', async () => {
  session = await ov.createSession({ mediaNode: { id: nodeId } });
  const connection = await session.createConnection({ role: OpenViduRole.PUBLISHER, data: 'remote' });
  const page = await OpenViduPage.open(browser, pages.url, 'remote');
  allPages.push(page);
  await page.join(connection.token, 'remote');
  await page.publish();
  await session.fetch();
  assert.equal(session.connections.length, 1);

  const started = await recordFor(RECORD_MS, { name: 'remote', outputMode: Recording.OutputMode.COMPOSED, resolution: '640x480' });
  // While it runs, the file grows on the node, not on the master.
  const onNode = await pollUntil(
    'the node writes under its own root',
    async () => filesUnder(nodeRoot),
    (files) => files.includes(path.join(started.id, 'remote.mp4')),
    { deadlineMs: DEADLINE_MS, pollMs: POLL_MS },
  );
  assert.ok(onNode.length > 0);
  assert.ok(!existsSync(path.join(recordingsDir, started.id, 'remote.mp4')), 'nothing on the master while recording');

  await ov.stopRecording(started.id);
  const ready = await pollUntil(
    `${started.id} ready`,
    () => ov.getRecording(started.id),
    (r) => {
      assert.notEqual(r.status, 'failed', `${started.id} failed`);
      return r.status === 'ready';
    },
    { deadlineMs: DEADLINE_MS, pollMs: POLL_MS },
  );
  assert.deepEqual(
    filesUnder(path.join(recordingsDir, started.id)).filter((f) => !f.startsWith('.recording.')),
    ['remote.jpg', 'remote.mp4'],
    'the video and its thumbnail were pulled into OPENVIDU_RECORDING_PATH/<id>/',
  );
  await pollUntil('the node deleted its copies', async () => filesUnder(nodeRoot), (files) => files.length === 0, {
    deadlineMs: DEADLINE_MS,
    pollMs: POLL_MS,
  });
  const file = await download(ready, SECRET, downloads);
  await assertMedia(file, { duration: ready.duration, video: { codec: 'h264', width: 640, height: 480 }, audio: { codec: 'aac' } });
  assert.deepEqual(cdrStatuses(started.id).map(([s]) => s), ['started', 'stopped', 'ready']);
});

it('SIGKILL of the recording node: the recording fails with nodeCrashed and a stop still answers', async () => {
  const started = await recordFor(2_000, { name: 'doomed', outputMode: Recording.OutputMode.INDIVIDUAL });
  process.kill(node.pid, 'SIGKILL');
  await node.exited;
  const failed = await pollUntil(
    `${started.id} failed`,
    () => ov.getRecording(started.id),
    (r) => r.status === 'failed',
    { deadlineMs: DEADLINE_MS, pollMs: POLL_MS },
  );
  assert.equal(failed.status, 'failed');
  await pollUntil(
    'recordingStatusChanged failed/nodeCrashed in the CDR',
    async () => cdrStatuses(started.id),
    (statuses) => statuses.some(([s, r]) => s === 'failed' && r === 'nodeCrashed'),
    { deadlineMs: DEADLINE_MS, pollMs: POLL_MS },
  );
  const t0 = Date.now();
  const answer = await plenum.request('POST', `/openvidu/api/recordings/stop/${started.id}`);
  assert.ok(Date.now() - t0 < 5_000, 'the stop answers at once');
  assert.equal(answer.status, 409, `a failed recording is not being recorded: ${answer.text}`);
});
