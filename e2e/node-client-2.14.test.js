// openvidu-node-client 2.14.0, unmodified, against an HTTPS Plenum. This
// client only speaks HTTPS and the 2.13-era paths (/api/...): it has no
// Connection API, and it sees only active connections (2.14 had no pending
// ones), so what needs a joined WebRTC participant is out of reach here.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPlenum, tempDir, testWithServerLog } from './lib/plenum.js';
import { loadClientWithRecorder } from './lib/requests.js';
import { callsSince as callsSinceIn, recordingCallsAnswer501, rejectsWithStatus } from './lib/assertions.js';

// Plenum's certificate is self-signed; the client has no option for that.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
// The 2.14 client console.log()s every fetch and has no switch to stop it.
if (!process.env.E2E_CLIENT_LOGS) console.log = () => {};

const { client, calls } = loadClientWithRecorder('openvidu-node-client-2-14');
const { OpenVidu, OpenViduRole, RecordingMode, RecordingLayout, Recording, MediaMode } = client;

let plenum; // everything default but TLS: the legacy paths are on by default
let recordingPlenum;
let legacyOffPlenum;
let ov;
const it = testWithServerLog(test, () => [plenum, recordingPlenum, legacyOffPlenum]);

before(async () => {
  plenum = await startPlenum({ SERVER_SSL_ENABLED: 'true', OPENVIDU_SECRET: 'e2e-secret-214' });
  ov = new OpenVidu(plenum.url, plenum.secret);
});

after(async () => {
  for (const server of [plenum, recordingPlenum, legacyOffPlenum]) {
    if (server) assert.equal(await server.stop(), 0, 'plenum exits cleanly on SIGTERM');
  }
});


const callsSince = (mark) => callsSinceIn(calls, mark);

// As OpenVidu 2.13 made them (openvidu-browser 2.13-2.15 read the role and version
// from the token): no TURN server is configured here, so no coturnIp/turnUsername/turnCredential.
const tokenPattern = (sessionId, role) =>
  new RegExp(
    `^wss://127\\.0\\.0\\.1:${plenum.port}\\?sessionId=${sessionId}&token=tok_[A-Za-z0-9]{16}&role=${role}&version=2\\.13\\.0$`,
  );

/** The session as the server has it, through the 2.13 path. */
async function serverSession(sessionId, query = '') {
  const res = await plenum.request('GET', `/api/sessions/${sessionId}${query}`);
  assert.equal(res.status, 200, `GET /api/sessions/${sessionId}`);
  return res.json;
}

/** Pending connections of a session (tokens), which the 2.14 client cannot see. */
async function pendingConnections(sessionId) {
  return (await serverSession(sessionId, '?pendingConnections=true')).connections.content;
}

let bare;
let full;

it('a wrong secret is refused with 401', async () => {
  await rejectsWithStatus(new OpenVidu(plenum.url, 'not-the-secret').createSession(), '401');
});

it('createSession() with no properties gets a ses_ id', async () => {
  const t0 = Date.now();
  bare = await ov.createSession();
  assert.match(bare.sessionId, /^ses_[A-Za-z0-9]{10}$/);
  assert.equal(typeof bare.createdAt, 'number');
  assert.ok(bare.createdAt >= t0 - 1000 && bare.createdAt <= Date.now() + 1000);
  assert.ok(ov.activeSessions.includes(bare));
  const json = await serverSession(bare.sessionId);
  assert.equal(json.createdAt, bare.createdAt);
  assert.equal(json.mediaMode, 'ROUTED');
  assert.equal(json.recordingMode, 'MANUAL');
  assert.equal(json.defaultRecordingProperties.outputMode, 'COMPOSED');
  assert.equal(json.defaultRecordingProperties.recordingLayout, 'BEST_FIT');
});

it('createSession() with every 2.14 property stores them', async () => {
  full = await ov.createSession({
    mediaMode: MediaMode.ROUTED,
    recordingMode: RecordingMode.ALWAYS,
    defaultOutputMode: Recording.OutputMode.COMPOSED,
    defaultRecordingLayout: RecordingLayout.CUSTOM,
    defaultCustomLayout: 'layouts/e2e14',
    customSessionId: 'e2e-214_full',
  });
  assert.equal(full.sessionId, 'e2e-214_full');
  assert.equal(typeof full.createdAt, 'number');
  const json = await serverSession('e2e-214_full');
  assert.equal(json.createdAt, full.createdAt);
  assert.equal(json.customSessionId, 'e2e-214_full');
  assert.equal(json.mediaMode, 'ROUTED');
  assert.equal(json.recordingMode, 'ALWAYS');
  // Plenum keeps the 2.14 keys as the 2.16+ defaultRecordingProperties.
  assert.equal(json.defaultRecordingProperties.outputMode, 'COMPOSED');
  assert.equal(json.defaultRecordingProperties.recordingLayout, 'CUSTOM');
  assert.equal(json.defaultRecordingProperties.customLayout, 'layouts/e2e14');
});

// OpenVidu 2.13-2.15 Session JSON has top-level defaultOutputMode,
// defaultRecordingLayout (when COMPOSED) and defaultCustomLayout (when CUSTOM),
// which the 2.14 client reads back in Session.resetSessionWithJson(); Plenum
// adds them on the 2.13 path family.
it('GET /api/sessions/<id> carries the 2.14 recording keys', async () => {
  const json = await serverSession('e2e-214_full');
  assert.equal(json.defaultOutputMode, 'COMPOSED');
  assert.equal(json.defaultRecordingLayout, 'CUSTOM');
  assert.equal(json.defaultCustomLayout, 'layouts/e2e14');
  const plainJson = await serverSession(bare.sessionId);
  assert.equal(plainJson.defaultOutputMode, 'COMPOSED');
  assert.equal(plainJson.defaultRecordingLayout, 'BEST_FIT');
});

// The client-visible effect of the keys above: nothing changed, so fetch() resolves false and the
// session keeps its defaultOutputMode/defaultRecordingLayout. (Only sessions
// created with no properties: with some, the client's own key order differs
// from the server's JSON and fetch() is true against OpenVidu 2.14 too.)
it('Session.fetch() right after createSession() resolves false', async () => {
  const fresh = await ov.createSession();
  const before = structuredClone(fresh.properties);
  assert.equal(await fresh.fetch(), false, 'nothing changed since createSession()');
  assert.deepEqual(fresh.properties, before);
});

it('OpenVidu.fetch() right after createSession() resolves false', async () => {
  await ov.fetch(); // aligns the sessions created so far
  const fresh = await ov.createSession();
  assert.equal(await ov.fetch(), false, 'nothing changed since createSession()');
  const stored = ov.activeSessions.find((s) => s.sessionId === fresh.sessionId);
  assert.equal(stored.properties.defaultOutputMode, 'COMPOSED');
  assert.equal(stored.properties.defaultRecordingLayout, 'BEST_FIT');
});

it('createSession() with a malformed customSessionId is 400', async () => {
  await rejectsWithStatus(ov.createSession({ customSessionId: 'not valid!' }), '400');
  await rejectsWithStatus(ov.createSession({ recordingMode: 'SOMETIMES' }), '400');
});

it('createSession() with a taken customSessionId: the 409 is absorbed and no second session appears', async () => {
  const mark = calls.length;
  const again = await ov.createSession({ customSessionId: 'e2e-214_full', recordingMode: RecordingMode.MANUAL });
  assert.deepEqual(callsSince(mark), ['POST /api/sessions 409']);
  assert.equal(again.sessionId, 'e2e-214_full');
  assert.equal(again.createdAt, undefined, 'the 2.14 client does not fetch after a 409');
  // Session.fetch() brings the stale local copy up to date: a real change.
  assert.equal(await again.fetch(), true);
  assert.equal(again.createdAt, full.createdAt);
  assert.equal(again.properties.recordingMode, 'ALWAYS');
  assert.equal(again.properties.customSessionId, 'e2e-214_full');
  const list = await plenum.request('GET', '/api/sessions');
  assert.equal(list.json.content.filter((s) => s.sessionId === 'e2e-214_full').length, 1);
});

it('generateToken() without options: a wss:// token of a pending PUBLISHER connection', async () => {
  const mark = calls.length;
  const token = await bare.generateToken();
  assert.deepEqual(callsSince(mark), ['POST /api/tokens 200']);
  assert.match(token, tokenPattern(bare.sessionId, 'PUBLISHER'));
  const connection = (await pendingConnections(bare.sessionId)).find((c) => c.token === token);
  assert.ok(connection, 'the token is a pending connection of the session');
  assert.equal(connection.status, 'pending');
  assert.equal(connection.role, 'PUBLISHER');
  assert.equal(connection.serverData, '');
});

it('generateToken() with TokenOptions keeps role, data and kurentoOptions', async () => {
  const kurentoOptions = {
    videoMaxRecvBandwidth: 1000,
    videoMinRecvBandwidth: 300,
    videoMaxSendBandwidth: 1200,
    videoMinSendBandwidth: 400,
    allowedFilters: ['GStreamerFilter'],
  };
  const token = await bare.generateToken({ role: OpenViduRole.MODERATOR, data: 'data-214', kurentoOptions });
  assert.match(token, tokenPattern(bare.sessionId, 'MODERATOR'));
  const connection = (await pendingConnections(bare.sessionId)).find((c) => c.token === token);
  assert.ok(connection);
  assert.equal(connection.role, 'MODERATOR');
  assert.equal(connection.serverData, 'data-214');
  assert.deepEqual(connection.kurentoOptions, kurentoOptions);
});

it('generateToken() with a bad role is 400, for a missing session 404', async () => {
  const before = (await pendingConnections(bare.sessionId)).length;
  await rejectsWithStatus(bare.generateToken({ role: 'NOT_A_ROLE' }), '400');
  assert.equal((await pendingConnections(bare.sessionId)).length, before);
  const doomed = await ov.createSession();
  assert.equal((await plenum.request('DELETE', `/api/sessions/${doomed.sessionId}`)).status, 204);
  await rejectsWithStatus(doomed.generateToken(), '404');
  await rejectsWithStatus(doomed.fetch(), '404');
});

it('OpenVidu.fetch() is false when nothing changed, pending tokens included', async () => {
  await ov.fetch(); // aligns the local copies with the server
  assert.equal(await ov.fetch(), false);
  // Tokens are pending connections, invisible to 2.14's fetch: no change.
  await bare.generateToken();
  assert.equal(await ov.fetch(), false);
});

// The client fills in defaultOutputMode/defaultRecordingLayout for a session it
// learns from the server, and the next fetch compares that with the server's
// JSON: without the 2.13 keys the second fetch would be true although nothing changed.
it('OpenVidu.fetch() is true for a session created elsewhere, then false', async () => {
  await ov.fetch();
  const created = await plenum.request('POST', '/api/sessions', { body: { customSessionId: 'e2e-214_rest' } });
  assert.equal(created.status, 200);
  assert.equal(await ov.fetch(), true);
  assert.ok(ov.activeSessions.some((s) => s.sessionId === 'e2e-214_rest'));
  assert.equal(await ov.fetch(), false, 'nothing changed since the previous fetch');
});

it('OpenVidu.fetch() is true for a session closed elsewhere, then false', async () => {
  const created = await plenum.request('POST', '/api/sessions', { body: { customSessionId: 'e2e-214_gone' } });
  assert.equal(created.status, 200);
  await ov.fetch(); // learns it
  assert.ok(ov.activeSessions.some((s) => s.sessionId === 'e2e-214_gone'));
  assert.equal((await plenum.request('DELETE', '/api/sessions/e2e-214_gone')).status, 204);
  assert.equal(await ov.fetch(), true);
  assert.ok(!ov.activeSessions.some((s) => s.sessionId === 'e2e-214_gone'));
  assert.equal(await ov.fetch(), false);
});

it('Session.fetch() is false when nothing changed', async () => {
  const session = ov.activeSessions.find((s) => s.sessionId === bare.sessionId);
  assert.equal(await session.fetch(), false);
  assert.equal(await session.fetch(), false);
  assert.deepEqual(session.activeConnections, []);
});

// 2.14 could only disconnect active participants (tokens had no connection id
// then). Plenum's legacy path also removes pending connections, by the id the
// 2.16+ API gives them; active ones need a WebRTC participant, not available here.
it('forceDisconnect(connectionId) removes a pending connection; a second time is 404', async () => {
  const token = await bare.generateToken({ data: 'to-disconnect' });
  const pending = (await pendingConnections(bare.sessionId)).find((c) => c.token === token);
  assert.ok(pending);
  const mark = calls.length;
  await bare.forceDisconnect(pending.connectionId);
  assert.deepEqual(callsSince(mark), [`DELETE /api/sessions/${bare.sessionId}/connection/${pending.connectionId} 204`]);
  const res = await plenum.request('GET', `/api/sessions/${bare.sessionId}/connection/${pending.connectionId}`);
  assert.equal(res.status, 404);
  assert.ok(!(await pendingConnections(bare.sessionId)).some((c) => c.connectionId === pending.connectionId));
  await rejectsWithStatus(bare.forceDisconnect(pending.connectionId), '404');
  await rejectsWithStatus(bare.forceDisconnect('con_DoesNotExist'), '404');
});

it('forceUnpublish() of a stream the session does not have is 404', async () => {
  await rejectsWithStatus(bare.forceUnpublish('str_CAM_Nope_con_DoesNotExist'), '404');
});

it('close() removes the session; closing again is 404', async () => {
  await bare.close();
  assert.ok(!ov.activeSessions.some((s) => s.sessionId === bare.sessionId));
  assert.equal((await plenum.request('GET', `/api/sessions/${bare.sessionId}`)).status, 404);
  await rejectsWithStatus(bare.close(), '404');
  await rejectsWithStatus(bare.generateToken(), '404');
});

it('recording API with OPENVIDU_RECORDING=false answers 501', async () => {
  await recordingCallsAnswer501(ov, full.sessionId);
});

it('recording API with OPENVIDU_RECORDING=true: empty list, 404 for unknown ids, 406 without participants', async () => {
  recordingPlenum = await startPlenum({
    SERVER_SSL_ENABLED: 'true',
    OPENVIDU_RECORDING: 'true',
    OPENVIDU_RECORDING_PATH: tempDir(),
  });
  const rov = new OpenVidu(recordingPlenum.url, recordingPlenum.secret);
  assert.deepEqual(await rov.listRecordings(), []);
  await rejectsWithStatus(rov.getRecording('nope'), '404');
  await rejectsWithStatus(rov.stopRecording('nope'), '404');
  await rejectsWithStatus(rov.deleteRecording('nope'), '404');
  const session = await rov.createSession();
  await rejectsWithStatus(rov.startRecording(session.sessionId), '406');
  await rejectsWithStatus(rov.startRecording(session.sessionId, 'named'), '406');
  await rejectsWithStatus(rov.startRecording('no-such-session'), '404');
});

it('every call went to the 2.13-era /api paths, and the server agrees with the client', async () => {
  assert.ok(calls.length > 30, `only ${calls.length} calls recorded`);
  assert.deepEqual(calls.filter((c) => !c.path.startsWith('/api/')), []);
  await ov.fetch();
  const local = [...new Set(ov.activeSessions.map((s) => s.sessionId))].sort();
  const list = await plenum.request('GET', '/api/sessions');
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.content.map((s) => s.sessionId).sort(), local);
  assert.equal(list.json.numberOfElements, local.length);
  assert.ok(local.includes('e2e-214_full'));
});

it('with SUPPORT_DEPRECATED_API=false the 2.14 client finds nothing (404)', async () => {
  legacyOffPlenum = await startPlenum({ SERVER_SSL_ENABLED: 'true', SUPPORT_DEPRECATED_API: 'false' });
  const off = new OpenVidu(legacyOffPlenum.url, legacyOffPlenum.secret);
  await rejectsWithStatus(off.createSession(), '404');
  await rejectsWithStatus(off.fetch(), '404');
});
