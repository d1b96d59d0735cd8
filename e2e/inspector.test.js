// The Inspector dashboard (/inspector) in headless Chromium (Debian's chromium
// through playwright-core) against a real plenum master, a second real
// plenum-media-node process and two unmodified openvidu-browser 2.32.2
// participants, over loopback only.
//
// The test signs in (a wrong secret is refused first), walks every page and
// clicks every action, and checks each action's effect through REST: the
// recording starts and stops, a stream is unpublished, a participant is
// disconnected, the session is closed; the second node is drained and undrained,
// deleted with `when-no-sessions` (it goes once its session is closed), found
// again by autodiscovery (the cluster's autodiscover script names it) and
// terminated, added by URI and deleted `now`; launching is refused in manual
// mode; the finished recording
// plays and seeks (a 206 answer) and is deleted; the history shows the closed
// session and its timeline; a bad restart value shows the master's validation
// error and a good one restarts (restartCounter + 1); the Test page receives its
// own camera back through a node. The node load charts get points from the live
// feed, and so do the per-stream WebRTC charts (the node's getStats). The page logs no error, except the network lines of the refusals the
// test provokes on purpose. A screenshot of each page goes to e2e/output/inspector/.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { diagnosedTest } from './lib/diagnosed-test.js';
import { pollUntil as poll } from './lib/poll.js';
import { launchChromium, servePages } from './lib/browser.js';
import { INSPECTOR_SECRET as SECRET, MEDIA_NODES, SESSIONS, joinParticipant, playing as playingWithin, sidewaysOverflow, startInspectorCluster } from './lib/inspector.js';

const require = createRequire(import.meta.url);
const { OpenVidu, OpenViduRole } = require('openvidu-node-client');

const EVENT_DEADLINE_MS = 20_000;
const MEDIA_DEADLINE_MS = 45_000;
const TEST_TIMEOUT_MS = 240_000;
const OUTPUT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'output', 'inspector');

let cluster;
let plenum;
let configFile;
let node;
let pages;
let browser;
let ov;
let inspector; // the Inspector's page
const participants = [];
/** Console errors and page errors of the Inspector's page. */
const pageErrors = [];
/** Network error lines of refusals the test provokes (wrong secret, launching in manual mode, a bad restart value). */
const expectedRefusals = [];
let expectingRefusal = false;
/** Answers the Inspector's page got for recording files. */
const fileAnswers = [];
const ctx = { session: undefined, sessionId: undefined, nodeId: undefined, a: undefined, b: undefined, recordingId: undefined };

before(async () => {
  mkdirSync(OUTPUT, { recursive: true });
  cluster = await startInspectorCluster({ prefix: 'plenum-e2e-inspector', autodiscover: true });
  ({ plenum, node, configFile } = cluster);
  ctx.nodeId = cluster.nodeId;
  ov = new OpenVidu(plenum.url, plenum.secret);
  ov.enableProdMode();
  pages = await servePages();
  browser = await launchChromium();
});

after(async () => {
  for (const page of participants) await page.close().catch(() => {});
  await inspector?.context().close().catch(() => {});
  await browser?.close();
  await pages?.close();
  await cluster?.stop();
});

const it = diagnosedTest(TEST_TIMEOUT_MS, async () => {
  const parts = [`--- Inspector page errors: ${JSON.stringify(pageErrors)}`];
  for (const page of participants) parts.push(await page.diagnostics().catch((e) => e.message));
  if (inspector) parts.push(`--- Inspector notices: ${await inspector.locator('#notices').innerText().catch((e) => e.message)}`);
  if (plenum) parts.push('--- plenum log ---', ...plenum.log().trimEnd().split('\n').slice(-80));
  if (node) parts.push('--- node log ---', node.tail(30));
  return parts.join('\n');
});

const pollUntil = (what, probe, done, deadlineMs = EVENT_DEADLINE_MS) => poll(what, probe, done, { deadlineMs, pollMs: 250 });
const rest = (method, urlPath, body) => plenum.request(method, urlPath, body === undefined ? {} : { body });
const shot = (name) => inspector.screenshot({ path: path.join(OUTPUT, `${name}.png`), fullPage: true });

/** Opens an Inspector page (menu entry `name`) and waits until it has rendered `ready`. */
async function goTo(name, ready) {
  await inspector.locator(`nav a[data-page="${name}"]`).click();
  await inspector.locator(`main[data-page="${name}"]`).waitFor();
  await inspector.locator(ready).first().waitFor({ timeout: EVENT_DEADLINE_MS });
}

/** Clicks `button` (a locator) while a refusal is expected, so its network error line is set aside. */
async function clickExpectingRefusal(locator) {
  expectingRefusal = true;
  try {
    await locator.click();
    await inspector.locator('.notice.error, #restart-errors:not(:empty), #error:not(:empty)').first().waitFor({ timeout: EVENT_DEADLINE_MS });
  } finally {
    expectingRefusal = false;
  }
}

const joined = (name, role) => joinParticipant({ browser, pagesUrl: pages.url, session: ctx.session, participants }, name, role);
const playing = (viewer, streamId) => playingWithin(viewer, streamId, MEDIA_DEADLINE_MS);

async function connectionsOf(sessionId) {
  const res = await rest('GET', `${SESSIONS}/${sessionId}`);
  return res.status === 200 ? res.json.connections.content : null;
}

async function nodeStatus(id) {
  const res = await rest('GET', `${MEDIA_NODES}/${id}`);
  return res.status === 200 ? res.json.status : `gone (${res.status})`;
}

async function addNodeFromCluster() {
  await inspector.locator('input[name="uri"]').fill(node.uri);
  await inspector.getByRole('button', { name: 'Add media node' }).click();
  const nodes = await pollUntil('the node added again', () => rest('GET', MEDIA_NODES), (r) => r.json.content.some((n) => n.uri === node.uri && n.status === 'running'));
  return nodes.json.content.find((n) => n.uri === node.uri).id;
}

const row = (attribute, value) => inspector.locator(`tr[data-${attribute}="${value}"]`);

it('a wrong secret is refused, the right one signs in', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  inspector = await context.newPage();
  inspector.on('console', (message) => {
    if (message.type() !== 'error') return;
    const line = `${message.text()} (${message.location().url})`;
    if (expectingRefusal && /Failed to load resource: the server responded with a status of (4\d\d|501)/.test(line)) expectedRefusals.push(line);
    else pageErrors.push(`console: ${line}`);
  });
  inspector.on('pageerror', (error) => pageErrors.push(`page error: ${error.message}`));
  inspector.on('response', (response) => {
    if (response.url().includes('/inspector/recordings/')) fileAnswers.push(response.status());
  });

  const unsigned = await inspector.goto(`${plenum.url}/inspector`);
  assert.ok(unsigned.url().endsWith('/inspector/sign-in'), `sent to the sign-in page, not ${unsigned.url()}`);
  const api = await inspector.request.get(`${plenum.url}/inspector/api/history`);
  assert.equal(api.status(), 401, 'no Inspector endpoint without signing in');

  await inspector.locator('input[name="password"]').fill('not-the-secret');
  await clickExpectingRefusal(inspector.getByRole('button', { name: 'Sign in' }));
  assert.match(await inspector.locator('#error').innerText(), /Wrong credentials/);
  assert.ok(inspector.url().endsWith('/inspector/sign-in'));
  await shot('sign-in-refused');

  await inspector.locator('input[name="password"]').fill(SECRET);
  await inspector.getByRole('button', { name: 'Sign in' }).click();
  await inspector.waitForURL(`${plenum.url}/inspector/`);
  await inspector.locator('#live-status[data-state="open"]').waitFor({ timeout: EVENT_DEADLINE_MS });
});

it('Sessions: two participants on the second node, their connections and graph; recording, unpublish and disconnect', async () => {
  ctx.session = await ov.createSession({ mediaNode: { id: ctx.nodeId } });
  ctx.sessionId = ctx.session.sessionId;
  ctx.a = await joined('alice', OpenViduRole.PUBLISHER);
  ctx.b = await joined('bob', OpenViduRole.PUBLISHER);
  const { streamId: aStream } = await ctx.a.publish();
  const { streamId: bStream } = await ctx.b.publish();
  await playing(ctx.b, aStream);
  await playing(ctx.a, bStream);
  ctx.bStream = bStream;

  await goTo('sessions', `details[data-session="${ctx.sessionId}"]`);
  const card = inspector.locator(`details[data-session="${ctx.sessionId}"]`);
  await card.locator('summary').click();
  await pollUntil('the graph shows who receives whom', () => card.locator('svg.graph').getAttribute('data-edges'), (edges) => edges === '2');
  assert.match(await card.locator('summary').innerText(), /2 connections · 2 publishers · 2 subscribers/);
  for (const page of [ctx.a, ctx.b]) {
    const cells = await card.locator(`tr[data-connection="${page.connectionId}"] td`).allInnerTexts();
    assert.equal(cells[2], 'PUBLISHER');
    assert.equal(cells[4], `server-${page.name}`);
    assert.equal(cells[8], '1', 'one subscription each');
  }
  assert.equal(await rest('GET', `${SESSIONS}/${ctx.sessionId}`).then((r) => r.json.mediaNodeId), ctx.nodeId);
  // The node's getStats, sampled on the master and pushed over the live feed: a chart pair per endpoint
  // (two publishers, two subscriptions), with a video bitrate and frame rate once two samples are in.
  for (const streamId of [aStream, bStream]) {
    const bitrate = card.locator(`.stream-chart[data-stream="${streamId}"] .chart[data-figure="bitrate"]`);
    await pollUntil(`${streamId}'s bitrate charts get a video rate`, async () => {
      const last = await bitrate.evaluateAll((charts) => charts.map((c) => JSON.parse(c.dataset.last ?? '[]')[0] ?? 0));
      return last;
    }, (last) => last.length === 2 && last.every((kbps) => kbps > 0), MEDIA_DEADLINE_MS);
    const quality = card.locator(`.stream-chart[data-stream="${streamId}"] .chart[data-figure="quality"]`).first();
    const [fps] = JSON.parse(await quality.getAttribute('data-last'));
    assert.ok(fps > 0, `${streamId} has a frame rate: ${fps}`);
  }
  await shot('sessions');

  await card.getByRole('button', { name: 'Start recording' }).click();
  const started = await pollUntil('the recording started', () => rest('GET', '/openvidu/api/recordings'), (r) => r.json.items.some((x) => x.sessionId === ctx.sessionId && x.status === 'started'));
  ctx.recordingId = started.json.items.find((x) => x.sessionId === ctx.sessionId).id;
  await card.locator('.badge.rec').waitFor();
  // Some media into the file: the page's own counter of decoded frames moves on.
  const frames = async () => (await ctx.b.stats()).subscribers[aStream]?.video?.framesDecoded ?? 0;
  const base = await frames();
  await pollUntil('two more seconds of video', frames, (n) => n > base + 30, MEDIA_DEADLINE_MS);
  await card.getByRole('button', { name: 'Stop recording' }).click();
  await pollUntil('the recording is ready', () => rest('GET', `/openvidu/api/recordings/${ctx.recordingId}`), (r) => r.json?.status === 'ready', MEDIA_DEADLINE_MS);

  await card.locator(`tr[data-connection="${ctx.b.connectionId}"]`).getByRole('button', { name: 'Unpublish' }).click();
  await pollUntil('bob unpublished', () => connectionsOf(ctx.sessionId), (cs) => cs.find((c) => c.connectionId === ctx.b.connectionId)?.publishers.length === 0);
  await card.locator(`tr[data-connection="${ctx.b.connectionId}"]`).getByRole('button', { name: 'Disconnect' }).click();
  await pollUntil('bob is gone', () => connectionsOf(ctx.sessionId), (cs) => !cs.some((c) => c.connectionId === ctx.b.connectionId));
  await pollUntil('the page shows one connection', () => card.locator('summary').innerText(), (t) => /1 connections/.test(t));
});

it('Cluster: the node table, load charts from the live feed, drain, undrain and delete when no sessions', async () => {
  await goTo('cluster', `tr[data-node="${ctx.nodeId}"]`);
  const nodeRow = row('node', ctx.nodeId);
  const cells = await nodeRow.locator('td').allInnerTexts();
  assert.equal(cells[3], node.uri);
  assert.equal(cells[4], 'yes');
  assert.equal(cells[6], '1', 'it hosts the session');
  assert.equal(cells[8], 'running');
  assert.equal(await inspector.locator('table.nodes tbody tr').count(), 2, 'the embedded node and the second one');
  for (const id of [ctx.nodeId]) {
    await pollUntil(`the load chart of ${id} gets points`, () => inspector.locator(`.chart[data-node="${id}"]`).getAttribute('data-points'), (n) => Number(n) >= 2);
  }
  await shot('cluster');

  await nodeRow.getByRole('button', { name: 'Drain' }).click();
  await pollUntil('the node drains', () => nodeStatus(ctx.nodeId), (s) => s === 'waiting-idle-to-terminate');
  await row('node', ctx.nodeId).getByRole('button', { name: 'Undrain' }).click();
  await pollUntil('the node runs again', () => nodeStatus(ctx.nodeId), (s) => s === 'running');
  await pollUntil('the page shows it running', () => row('node', ctx.nodeId).locator('.status').innerText(), (s) => s === 'running');
  await row('node', ctx.nodeId).locator('select[name="deletion-strategy"]').selectOption('when-no-sessions');
  await row('node', ctx.nodeId).getByRole('button', { name: 'Delete' }).click();
  await pollUntil('the node waits for its session to end', () => nodeStatus(ctx.nodeId), (s) => s === 'waiting-idle-to-terminate');
});

it('Sessions: closing the session lets the draining node go', async () => {
  await goTo('sessions', `details[data-session="${ctx.sessionId}"]`);
  const card = inspector.locator(`details[data-session="${ctx.sessionId}"]`);
  assert.equal(await card.getAttribute('open'), '', 'the session stays open across visits');
  await card.getByRole('button', { name: 'Close session' }).click();
  await pollUntil('the session is closed', () => rest('GET', `${SESSIONS}/${ctx.sessionId}`), (r) => r.status === 404);
  await pollUntil('the drained node is gone', () => nodeStatus(ctx.nodeId), (s) => s.startsWith('gone'));
  await inspector.locator('.sessions .empty').waitFor();
});

it('Cluster: launching is refused in manual mode, autodiscovery, add by URI, terminate, delete now', async () => {
  await goTo('cluster', 'table.nodes');
  await clickExpectingRefusal(inspector.getByRole('button', { name: 'Launch media node' }));
  assert.match(await inspector.locator('.notice.error').first().innerText(), /URI/);

  // The cluster's autodiscover script names the second node: autodiscovery adds it back.
  await inspector.getByRole('button', { name: 'Autodiscover' }).click();
  await inspector.locator('.notice', { hasText: 'Autodiscovery found 1 new nodes' }).waitFor();
  const nodes = await pollUntil('the node autodiscovered', () => rest('GET', MEDIA_NODES), (r) => r.json.content.some((n) => n.uri === node.uri && n.status === 'running'));
  const again = nodes.json.content.find((n) => n.uri === node.uri).id;
  await row('node', again).getByRole('button', { name: 'Terminate' }).click();
  await pollUntil('the terminated node is gone', () => nodeStatus(again), (s) => s === 'terminated' || s.startsWith('gone'));

  const once = await addNodeFromCluster();
  await row('node', once).locator('select[name="deletion-strategy"]').selectOption('now');
  await row('node', once).getByRole('button', { name: 'Delete' }).click();
  await pollUntil('the node deleted now is gone', () => nodeStatus(once), (s) => s.startsWith('gone'));
});

it('Recordings: the finished recording plays, seeks over ranges, downloads and is deleted', async () => {
  await goTo('recordings', `tr[data-recording="${ctx.recordingId}"]`);
  const recordingRow = row('recording', ctx.recordingId);
  assert.match(await recordingRow.innerText(), /ready/);
  const href = await recordingRow.getByRole('link', { name: 'Download' }).getAttribute('href');
  const download = await inspector.request.get(`${plenum.url}${href}`);
  assert.equal(download.status(), 200);
  assert.ok((await download.body()).length > 1000, 'the file has content');

  await recordingRow.getByRole('button', { name: 'Play' }).click();
  const video = inspector.locator(`video[data-recording="${ctx.recordingId}"]`);
  await video.waitFor();
  const duration = await pollUntil('the player knows the duration', () => video.evaluate((v) => v.duration), (d) => d > 0 && Number.isFinite(d), MEDIA_DEADLINE_MS);
  const seeked = await video.evaluate((v, to) => new Promise((resolve) => {
    v.addEventListener('seeked', () => resolve(v.currentTime), { once: true });
    v.currentTime = to;
  }), duration / 2);
  assert.ok(Math.abs(seeked - duration / 2) < 1, `seeked to ${seeked} of ${duration}`);
  assert.ok(fileAnswers.includes(206), `the player read ranges: ${fileAnswers}`);
  await shot('recordings');

  await recordingRow.getByRole('button', { name: 'Delete' }).click();
  await pollUntil('the recording is deleted', () => rest('GET', `/openvidu/api/recordings/${ctx.recordingId}`), (r) => r.status === 404);
  await row('recording', ctx.recordingId).waitFor({ state: 'detached' });
});

it('History: the closed session from the CDR, with its timeline', async () => {
  await goTo('history', 'table.history');
  const historyRow = inspector.locator('table.history tbody tr', { hasText: ctx.sessionId });
  // The CDR writer works on its own thread: the page's Refresh reads it again until the end is written.
  const ended = async () => {
    await inspector.getByRole('button', { name: 'Refresh' }).click();
    return historyRow.first().locator('td').nth(2).innerText().catch(() => 'missing');
  };
  await pollUntil('the history shows the session ended', ended, (text) => text !== 'live' && text !== 'missing');
  const cells = await historyRow.first().locator('td').allInnerTexts();
  assert.equal(cells[0], ctx.sessionId);
  assert.equal(cells[4], '2', 'two users');
  assert.equal(cells[5], '2', 'two publishers');
  assert.equal(cells[7], ctx.recordingId);
  assert.equal(cells[8], 'sessionClosedByServer');
  await historyRow.first().getByRole('button', { name: 'Timeline' }).click();
  const events = await inspector.locator('.timeline li').evaluateAll((items) => items.map((i) => i.dataset.event));
  assert.equal(events[0], 'sessionCreated');
  assert.equal(events.at(-1), 'sessionDestroyed');
  assert.ok(events.includes('recordingStatusChanged') && events.includes('participantLeft'), events.join());
  await shot('history');
});

it('Config: the active configuration; a bad value shows the validation error, a good one restarts', async () => {
  await goTo('config', 'table.config');
  const before = (await rest('GET', '/openvidu/api/status')).json.restartCounter;
  await inspector.locator('select[name="key"]').selectOption('OPENVIDU_SESSIONS_GARBAGE_INTERVAL');
  await inspector.locator('input[name="value"]').fill('"not a number"');
  await clickExpectingRefusal(inspector.getByRole('button', { name: 'Restart with these values' }));
  assert.match(await inspector.locator('#restart-errors').innerText(), /OPENVIDU_SESSIONS_GARBAGE_INTERVAL/);
  assert.equal((await rest('GET', '/openvidu/api/status')).json.restartCounter, before, 'nothing restarted');
  await shot('config-error');

  await inspector.locator('input[name="value"]').fill('600');
  await inspector.getByRole('button', { name: 'Restart with these values' }).click();
  await pollUntil('the master restarted', () => rest('GET', '/openvidu/api/status'), (r) => r.json.restartCounter === before + 1);
  assert.match(readFileSync(configFile, 'utf8'), /^OPENVIDU_SESSIONS_GARBAGE_INTERVAL=600$/m, 'the new value is in the config file');
  await pollUntil('the page shows the new value', () => inspector.locator('tr[data-key="OPENVIDU_SESSIONS_GARBAGE_INTERVAL"] td').innerText(), (v) => v === '600');
  await inspector.locator('#live-status[data-state="open"]').waitFor({ timeout: EVENT_DEADLINE_MS });
  await shot('config');
});

it('Test: the camera comes back through a node', async () => {
  await goTo('test', '#test-status');
  await inspector.getByRole('button', { name: 'Start test' }).click();
  await inspector.locator('#test-status[data-state="receiving"]').waitFor({ timeout: MEDIA_DEADLINE_MS });
  assert.match(await inspector.locator('#test-status').innerText(), /it works/);
  await shot('test');
  await inspector.getByRole('button', { name: 'Stop test' }).click();
  await pollUntil('the test session is closed', () => rest('GET', SESSIONS), (r) => r.json.numberOfElements === 0);
});

it('at phone width the menu and the pages still fit, and the page logged no error', async () => {
  await inspector.setViewportSize({ width: 390, height: 844 });
  await goTo('cluster', 'table.nodes');
  const overflow = await inspector.evaluate(sidewaysOverflow);
  assert.ok(overflow <= 0, `no sideways scrolling of the page (${overflow} px too wide)`);
  await shot('cluster-phone');
  assert.deepEqual(pageErrors, [], 'no console or page errors');
  assert.ok(expectedRefusals.length >= 3, `the provoked refusals were seen: ${expectedRefusals}`);
});
