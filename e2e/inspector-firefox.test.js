// The Inspector dashboard (/inspector) in headless Firefox ESR (Debian's
// firefox-esr driven by puppeteer-core over WebDriver BiDi) against a real
// plenum master, a second real plenum-media-node and two unmodified
// openvidu-browser 2.32.2 participants (in headless Chromium, as in the other
// suites), over loopback only. inspector.test.js clicks every action in
// Chromium; this file checks that the same pages work in the second engine
// the Inspector promises.
//
// A wrong secret is refused, then it signs in and walks every page: Sessions
// (the participants' session on the second node, its connection ids, counters,
// graph and the per-stream charts fed by the live feed; a session created
// through REST appears without a reload, and the page's Close session closes it,
// checked through REST), Cluster (both node rows, the load chart's points),
// Recordings (the finished recording, played and seeked in Firefox's player),
// History (the closed session and its timeline), Config (the active values) and
// Test (Firefox's fake camera back through a node). Every page must fit
// 1280x720 and 390 px without sideways scrolling, and the page must log no
// console error and no uncaught error. Screenshots go to
// e2e/output/inspector-firefox/.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { diagnosedTest } from './lib/diagnosed-test.js';
import { pollUntil as poll } from './lib/poll.js';
import { launchChromium, servePages } from './lib/browser.js';
import { launchFirefox } from './lib/firefox.js';
import { INSPECTOR_SECRET, SESSIONS, joinParticipant, playing, sidewaysOverflow, startInspectorCluster, tooWide } from './lib/inspector.js';

const require = createRequire(import.meta.url);
const { OpenVidu, OpenViduRole } = require('openvidu-node-client');

const EVENT_DEADLINE_MS = 20_000;
const MEDIA_DEADLINE_MS = 45_000;
const TEST_TIMEOUT_MS = 120_000;
const OUTPUT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'output', 'inspector-firefox');
/** Each page, and what it shows once its data is in (at 390 px the pages are walked again). */
const READY = {
  sessions: '.sessions details, .sessions .empty',
  cluster: 'table.nodes',
  recordings: 'table.recordings, .empty',
  history: 'table.history',
  config: 'table.config',
  test: '#test-status',
};

let cluster;
let plenum;
let pages;
let chromium; // the participants' browser
let firefox;
let inspector; // the Inspector's page, in Firefox
const participants = [];
/** Console errors and uncaught errors of the Inspector's page. */
const pageErrors = [];
/** Console errors logged while the test provoked a refusal (the wrong secret). */
const provoked = [];
let expectingRefusal = false;
const ctx = { session: undefined, sessionId: undefined, nodeId: undefined, recordingId: undefined, liveId: undefined };

before(async () => {
  mkdirSync(OUTPUT, { recursive: true });
  cluster = await startInspectorCluster({ prefix: 'plenum-e2e-inspector-firefox' });
  plenum = cluster.plenum;
  ctx.nodeId = cluster.nodeId;
  pages = await servePages();
  [chromium, firefox] = await Promise.all([launchChromium(), launchFirefox()]);
});

after(async () => {
  for (const page of participants) await page.close().catch(() => {});
  await firefox?.close().catch(() => {});
  await chromium?.close();
  await pages?.close();
  await cluster?.stop();
});

const it = diagnosedTest(TEST_TIMEOUT_MS, async () => {
  const parts = [`--- Inspector page errors: ${JSON.stringify(pageErrors)}`, `--- provoked: ${JSON.stringify(provoked)}`];
  for (const page of participants) parts.push(await page.diagnostics().catch((e) => e.message));
  if (inspector) parts.push(`--- Inspector notices: ${await text('#notices').catch((e) => e.message)}`);
  if (plenum) parts.push('--- plenum log ---', ...plenum.log().trimEnd().split('\n').slice(-80));
  if (cluster) parts.push('--- node log ---', cluster.node.tail(30));
  return parts.join('\n');
});

const pollUntil = (what, probe, done, deadlineMs = EVENT_DEADLINE_MS) => poll(what, probe, done, { deadlineMs, pollMs: 250 });
const rest = (method, urlPath, body) => plenum.request(method, urlPath, body === undefined ? {} : { body });
const shot = (name) => inspector.screenshot({ path: path.join(OUTPUT, `${name}.png`), fullPage: true });
const text = (selector) => inspector.$eval(selector, (e) => e.innerText);
const cellsOf = (selector) => inspector.$$eval(`${selector} > td`, (cells) => cells.map((c) => c.innerText));
/** The button labelled `label` inside `scope` (a CSS selector). */
const buttonIn = (scope, label) => inspector.locator(`${scope} button::-p-text(${JSON.stringify(label)})`);

async function fits(where) {
  const overflow = await inspector.evaluate(sidewaysOverflow);
  if (overflow > 0) assert.fail(`${where}: sideways scrolling, ${overflow} px too wide: ${(await inspector.evaluate(tooWide)).join(', ')}`);
}

/** Opens an Inspector page from the menu, waits until it has rendered `ready`, and checks it fits the window. */
async function goTo(name, ready) {
  await inspector.click(`nav a[data-page="${name}"]`);
  await inspector.waitForSelector(`main[data-page="${name}"] ${ready}`, { timeout: EVENT_DEADLINE_MS });
  await fits(name);
}

it('a wrong secret is refused, the right one signs in', async () => {
  const context = await firefox.createBrowserContext();
  inspector = await context.newPage();
  await inspector.setViewport({ width: 1280, height: 720 });
  inspector.on('console', (message) => {
    if (message.type() !== 'error') return;
    const line = `${message.text()} (${message.location()?.url ?? '?'})`;
    if (expectingRefusal) provoked.push(line);
    else pageErrors.push(`console: ${line}`);
  });
  inspector.on('pageerror', (error) => pageErrors.push(`page error: ${error.message ?? error}`));

  const unsigned = await inspector.goto(`${plenum.url}/inspector`);
  assert.ok(unsigned.url().endsWith('/inspector/sign-in'), `sent to the sign-in page, not ${unsigned.url()}`);
  assert.equal((await plenum.request('GET', '/inspector/api/history', { auth: false })).status, 401, 'no Inspector endpoint without signing in');

  await inspector.locator('input[name="password"]').fill('not-the-secret');
  expectingRefusal = true;
  try {
    await buttonIn('form', 'Sign in').click();
    await inspector.waitForSelector('#error:not(:empty)', { timeout: EVENT_DEADLINE_MS });
  } finally {
    expectingRefusal = false;
  }
  assert.match(await text('#error'), /Wrong credentials/);
  assert.ok(inspector.url().endsWith('/inspector/sign-in'));
  await fits('sign-in');
  await shot('sign-in-refused');

  await inspector.locator('input[name="password"]').fill(INSPECTOR_SECRET);
  await Promise.all([inspector.waitForNavigation(), buttonIn('form', 'Sign in').click()]);
  assert.equal(inspector.url(), `${plenum.url}/inspector/`);
  await inspector.waitForSelector('#live-status[data-state="open"]', { timeout: EVENT_DEADLINE_MS });
});

it('Sessions: two participants, their connections, graph and live stream charts', async () => {
  const ov = new OpenVidu(plenum.url, plenum.secret);
  ov.enableProdMode();
  ctx.session = await ov.createSession({ mediaNode: { id: ctx.nodeId } });
  ctx.sessionId = ctx.session.sessionId;
  const join = (name) => joinParticipant({ browser: chromium, pagesUrl: pages.url, session: ctx.session, participants }, name, OpenViduRole.PUBLISHER);
  const [a, b] = [await join('alice'), await join('bob')];
  const { streamId: aStream } = await a.publish();
  const { streamId: bStream } = await b.publish();
  await playing(b, aStream, MEDIA_DEADLINE_MS);
  await playing(a, bStream, MEDIA_DEADLINE_MS);
  // Recorded while the page is checked; the Recordings page plays it later.
  const started = await rest('POST', '/openvidu/api/recordings/start', { session: ctx.sessionId });
  assert.equal(started.status, 200, started.text);
  ctx.recordingId = started.json.id;

  const card = `details[data-session="${ctx.sessionId}"]`;
  await goTo('sessions', card);
  await inspector.click(`${card} summary`);
  await pollUntil('the graph shows who receives whom', () => inspector.$eval(`${card} svg.graph`, (g) => g.dataset.edges), (edges) => edges === '2');
  assert.match(await text(`${card} summary`), /2 connections · 2 publishers · 2 subscribers/);
  assert.match(await text(`${card} summary`), new RegExp(`node ${ctx.nodeId}`));
  // The recording's start reached the page over the live feed.
  await inspector.waitForSelector(`${card} .badge.rec`, { timeout: EVENT_DEADLINE_MS });
  for (const page of [a, b]) {
    const cells = await cellsOf(`${card} tr[data-connection="${page.connectionId}"]`);
    assert.equal(cells[0], page.connectionId);
    assert.equal(cells[2], 'PUBLISHER');
    assert.match(cells[3], new RegExp(page.name), 'its client data');
    assert.equal(cells[4], `server-${page.name}`);
    assert.match(cells[7], new RegExp(page.streamId));
    assert.equal(cells[8], '1', 'one subscription each');
  }
  // The node's getStats, pushed over the live feed and drawn by uPlot in Firefox.
  for (const streamId of [aStream, bStream]) {
    await pollUntil(`${streamId}'s bitrate charts get a video rate`, () => inspector.$$eval(
      `${card} .stream-chart[data-stream="${streamId}"] .chart[data-figure="bitrate"]`,
      (charts) => charts.map((c) => JSON.parse(c.dataset.last ?? '[]')[0] ?? 0),
    ), (last) => last.length === 2 && last.every((kbps) => kbps > 0), MEDIA_DEADLINE_MS);
  }
  await fits('sessions with charts');
  await shot('sessions');

  const stopped = await rest('POST', `/openvidu/api/recordings/stop/${ctx.recordingId}`);
  assert.equal(stopped.status, 200, stopped.text);
  await inspector.waitForSelector(`${card} .badge.rec`, { hidden: true, timeout: EVENT_DEADLINE_MS });
});

it('Sessions: a session created through REST appears live; the page closes it', async () => {
  // A marker in the document: a reload would lose it.
  await inspector.evaluate(() => { window.plenumSameDocument = true; });
  ctx.liveId = `firefox-live-${Date.now()}`;
  const created = await rest('POST', SESSIONS, { customSessionId: ctx.liveId });
  assert.equal(created.status, 200, created.text);
  const card = `details[data-session="${ctx.liveId}"]`;
  await inspector.waitForSelector(card, { timeout: EVENT_DEADLINE_MS });
  assert.equal(await inspector.evaluate(() => window.plenumSameDocument), true, 'the page was not reloaded');
  assert.match(await text(`${card} summary`), /0 connections/);

  await inspector.click(`${card} summary`);
  await buttonIn(card, 'Close session').click();
  await pollUntil('the session is closed', () => rest('GET', `${SESSIONS}/${ctx.liveId}`), (r) => r.status === 404);
  await inspector.waitForSelector(card, { hidden: true, timeout: EVENT_DEADLINE_MS });
  assert.ok(await inspector.$(`details[data-session="${ctx.sessionId}"]`), 'the other session stays');
});

it('Cluster: both node rows and the load chart from the live feed', async () => {
  const nodeRow = `tr[data-node="${ctx.nodeId}"]`;
  await goTo('cluster', nodeRow);
  const cells = await cellsOf(nodeRow);
  assert.equal(cells[0], ctx.nodeId);
  assert.equal(cells[3], cluster.node.uri);
  assert.equal(cells[4], 'yes');
  assert.equal(cells[6], '1', 'it hosts the session');
  assert.equal(cells[8], 'running');
  const ids = await inspector.$$eval('table.nodes tbody tr', (rows) => rows.map((r) => r.dataset.node));
  const listed = (await rest('GET', '/openvidu/api/media-nodes')).json.content.map((n) => n.id);
  assert.deepEqual(ids.sort(), listed.sort(), 'the embedded node and the second one');
  assert.equal(ids.length, 2);
  await pollUntil('the load chart gets points', () => inspector.$eval(`.chart[data-node="${ctx.nodeId}"]`, (c) => Number(c.dataset.points)), (n) => n >= 2);
  await shot('cluster');
});

it('Recordings: the finished recording is listed and plays and seeks in Firefox', async () => {
  await pollUntil('the recording is ready', () => rest('GET', `/openvidu/api/recordings/${ctx.recordingId}`), (r) => r.json?.status === 'ready', MEDIA_DEADLINE_MS);
  const recordingRow = `tr[data-recording="${ctx.recordingId}"]`;
  await goTo('recordings', recordingRow);
  await pollUntil('the row says ready', () => cellsOf(recordingRow), (cells) => cells[2] === 'ready');
  const cells = await cellsOf(recordingRow);
  assert.equal(cells[0], ctx.recordingId);
  assert.equal(cells[1], ctx.sessionId);

  await buttonIn(recordingRow, 'Play').click();
  const video = `video[data-recording="${ctx.recordingId}"]`;
  await inspector.waitForSelector(video, { timeout: EVENT_DEADLINE_MS });
  const duration = await pollUntil('the player knows the duration', () => inspector.$eval(video, (v) => (v.error ? `error ${v.error.code}` : v.duration)),
    (d) => typeof d === 'string' || (d > 0 && Number.isFinite(d)), MEDIA_DEADLINE_MS);
  assert.equal(typeof duration, 'number', `Firefox plays the recording: ${duration}`);
  const seeked = await inspector.$eval(video, (v, to) => new Promise((resolve) => {
    v.addEventListener('seeked', () => resolve(v.currentTime), { once: true });
    v.currentTime = to;
  }), duration / 2);
  assert.ok(Math.abs(seeked - duration / 2) < 1, `seeked to ${seeked} of ${duration}`);
  await shot('recordings');
});

it('History: the closed session from the CDR, with its timeline', async () => {
  await goTo('history', 'table.history');
  const historyRow = `table.history tbody tr[data-session^="${ctx.liveId}"]`;
  // The CDR writer works on its own thread: the page's Refresh reads it again until the end is written.
  const ended = async () => {
    await buttonIn('main', 'Refresh').click();
    return (await inspector.$(historyRow)) ? (await cellsOf(historyRow))[2] : 'missing';
  };
  await pollUntil('the history shows the session ended', ended, (cell) => cell !== 'live' && cell !== 'missing');
  const cells = await cellsOf(historyRow);
  assert.equal(cells[0], ctx.liveId);
  assert.equal(cells[4], '0', 'nobody joined it');
  assert.equal(cells[8], 'sessionClosedByServer');
  assert.ok(await inspector.$(`table.history tbody tr[data-session^="${ctx.sessionId}"]`), 'the live session is listed too');
  await buttonIn(historyRow, 'Timeline').click();
  const events = await inspector.$$eval('.timeline li', (items) => items.map((i) => i.dataset.event));
  assert.equal(events[0], 'sessionCreated');
  assert.equal(events.at(-1), 'sessionDestroyed');
  await fits('history with timeline');
  await shot('history');
});

it('Config: the active configuration', async () => {
  await goTo('config', 'table.config');
  const value = (key) => text(`tr[data-key="${key}"] td`);
  assert.equal(await value('OPENVIDU_RECORDING'), 'true');
  assert.equal(await value('OPENVIDU_CDR'), 'true');
  const status = (await rest('GET', '/openvidu/api/status')).json;
  assert.equal(await text('#restart-counter'), `Restarts so far: ${status.restartCounter ?? 0}`);
  assert.ok(await inspector.$('form.restart select[name="key"] option[value="OPENVIDU_SESSIONS_GARBAGE_INTERVAL"]'), 'the restart form offers the keys');
  await shot('config');
});

it('Test: Firefox\'s fake camera comes back through a node', async () => {
  await goTo('test', '#test-status');
  await buttonIn('main', 'Start test').click();
  await inspector.waitForSelector('#test-status[data-state="receiving"]', { timeout: MEDIA_DEADLINE_MS });
  assert.match(await text('#test-status'), /Receiving \d+×\d+ back through media node .+: it works/);
  await shot('test');
  await buttonIn('main', 'Stop test').click();
  await pollUntil('the test session is closed', () => rest('GET', SESSIONS), (r) => r.json.content.every((s) => !s.id.startsWith('inspector-test-')));
  await inspector.waitForSelector('#test-status:not([data-state])', { timeout: EVENT_DEADLINE_MS });
});

it('at 390 px every page fits without sideways scrolling, and the page logged no error', async () => {
  await inspector.setViewport({ width: 390, height: 844 });
  for (const [name, ready] of Object.entries(READY)) {
    await goTo(name, ready);
    await shot(`${name}-phone`);
  }
  assert.deepEqual(pageErrors, [], 'no console or page errors');
});
