// openvidu-node-client 2.32.2, unmodified, against a plain-HTTP Plenum on the
// 2.16+ paths (/openvidu/api/...). Tests run in order and share the sessions
// made by earlier ones, like an application would.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPlenum, tempDir, testWithServerLog } from './lib/plenum.js';
import { loadClientWithRecorder } from './lib/requests.js';
import { callsSince as callsSinceIn, recordingCallsAnswer501, rejectsWithStatus } from './lib/assertions.js';

const { client, calls } = loadClientWithRecorder('openvidu-node-client');
const { OpenVidu, MediaMode, RecordingMode, OpenViduRole, ConnectionType, VideoCodec, RecordingLayout, Recording } =
  client;

let plenum; // OPENVIDU_RECORDING left at its default (false)
let recordingPlenum; // OPENVIDU_RECORDING=true
let ov;
const it = testWithServerLog(test, () => [plenum, recordingPlenum]);

before(async () => {
  plenum = await startPlenum({ OPENVIDU_SECRET: 'e2e-secret-232' });
  ov = new OpenVidu(plenum.url, plenum.secret);
  ov.enableProdMode(); // the client logs every fetch otherwise
});

after(async () => {
  for (const server of [plenum, recordingPlenum]) {
    if (server) assert.equal(await server.stop(), 0, 'plenum exits cleanly on SIGTERM');
  }
});

/** The JSON view of a value: drops `undefined` keys the client leaves around. */
const plain = (value) => JSON.parse(JSON.stringify(value));


const callsSince = (mark) => callsSinceIn(calls, mark);

function assertRecentTimestamp(value, from, to) {
  assert.equal(typeof value, 'number');
  assert.ok(value >= from - 1000 && value <= to + 1000, `${value} not within [${from}, ${to}]`);
}

const DEFAULT_RECORDING_PROPERTIES = {
  name: '',
  hasAudio: true,
  hasVideo: true,
  outputMode: 'COMPOSED',
  recordingLayout: 'BEST_FIT',
  resolution: '1280x720',
  frameRate: 25,
  shmSize: 536870912,
};

const FULL_PROPERTIES = {
  mediaMode: MediaMode.RELAYED,
  recordingMode: RecordingMode.ALWAYS,
  customSessionId: 'e2e-232_full',
  defaultRecordingProperties: {
    name: 'default-name',
    hasAudio: false,
    hasVideo: true,
    outputMode: Recording.OutputMode.COMPOSED,
    recordingLayout: RecordingLayout.CUSTOM,
    customLayout: 'layouts/e2e',
    resolution: '1920x1080',
    frameRate: 30,
    shmSize: 268435456,
  },
  forcedVideoCodec: VideoCodec.H264,
  allowTranscoding: true,
};

const FULL_CONNECTION = {
  type: ConnectionType.WEBRTC,
  data: '{"user":"full"}',
  record: false,
  role: OpenViduRole.MODERATOR,
  kurentoOptions: {
    videoMaxRecvBandwidth: 1000,
    videoMinRecvBandwidth: 300,
    videoMaxSendBandwidth: 1200,
    videoMinSendBandwidth: 400,
    allowedFilters: ['GStreamerFilter', 'FaceOverlayFilter'],
  },
  customIceServers: [
    { url: 'stun:127.0.0.1:3478' },
    { url: 'turn:127.0.0.1:3478?transport=udp', username: 'e2e-user', credential: 'e2e-pass' },
  ],
};

let bare; // session created with no properties
let full; // session created with every property
let fullConnection;
let defaultConnection;

const tokenPattern = (sessionId) =>
  new RegExp(`^ws://127\\.0\\.0\\.1:${plenum.port}\\?sessionId=${sessionId}&token=tok_[A-Za-z0-9]+$`);

it('a wrong secret is refused with 401', async () => {
  await rejectsWithStatus(new OpenVidu(plenum.url, 'not-the-secret').createSession(), '401');
});

it('createSession() with no properties gets a ses_ id and every default', async () => {
  const t0 = Date.now();
  bare = await ov.createSession();
  const t1 = Date.now();
  assert.match(bare.sessionId, /^ses_[A-Za-z0-9]{10}$/);
  assertRecentTimestamp(bare.createdAt, t0, t1);
  assert.deepEqual(plain(bare.properties), {
    mediaMode: 'ROUTED',
    recordingMode: 'MANUAL',
    customSessionId: '',
    defaultRecordingProperties: DEFAULT_RECORDING_PROPERTIES,
    forcedVideoCodec: 'MEDIA_SERVER_PREFERRED',
    allowTranscoding: false,
  });
  assert.ok(ov.activeSessions.includes(bare));

  const res = await plenum.request('GET', `/openvidu/api/sessions/${bare.sessionId}`);
  assert.equal(res.status, 200);
  assert.equal(res.json.sessionId, bare.sessionId);
  assert.equal(res.json.createdAt, bare.createdAt);
  assert.deepEqual(res.json.connections, { numberOfElements: 0, content: [] });
});

it('createSession() with every property echoes them all', async () => {
  const t0 = Date.now();
  full = await ov.createSession(structuredClone(FULL_PROPERTIES));
  assert.equal(full.sessionId, 'e2e-232_full');
  assertRecentTimestamp(full.createdAt, t0, Date.now());
  assert.deepEqual(plain(full.properties), FULL_PROPERTIES);

  // What the server stored, not only what the client kept.
  const { status, json } = await plenum.request('GET', '/openvidu/api/sessions/e2e-232_full');
  assert.equal(status, 200);
  assert.equal(json.createdAt, full.createdAt);
  for (const key of ['mediaMode', 'recordingMode', 'customSessionId', 'forcedVideoCodec', 'allowTranscoding']) {
    assert.deepEqual(json[key], FULL_PROPERTIES[key], key);
  }
  assert.deepEqual(json.defaultRecordingProperties, FULL_PROPERTIES.defaultRecordingProperties);
});

it('createSession() with a taken customSessionId: 409, then the client fetches the existing session', async () => {
  const mark = calls.length;
  const again = await ov.createSession({ customSessionId: 'e2e-232_full', recordingMode: RecordingMode.MANUAL });
  assert.deepEqual(callsSince(mark), [
    'POST /openvidu/api/sessions 409',
    'GET /openvidu/api/sessions/e2e-232_full?pendingConnections=true 200',
  ]);
  assert.equal(again.sessionId, full.sessionId);
  assert.equal(again.createdAt, full.createdAt);
  // The properties are the existing session's, not the ones asked for.
  assert.deepEqual(plain(again.properties), FULL_PROPERTIES);
  const list = await plenum.request('GET', '/openvidu/api/sessions');
  assert.equal(list.json.content.filter((s) => s.id === 'e2e-232_full').length, 1);
});

it('createSession() with a malformed customSessionId or an unknown enum value is 400', async () => {
  await rejectsWithStatus(ov.createSession({ customSessionId: 'not valid!' }), '400');
  await rejectsWithStatus(ov.createSession({ forcedVideoCodec: 'NOT_A_CODEC' }), '400');
  await rejectsWithStatus(ov.createSession({ recordingMode: 'SOMETIMES' }), '400');
  const list = await plenum.request('GET', '/openvidu/api/sessions');
  assert.equal(list.json.numberOfElements, 2, 'no session was created');
});

it('createConnection() with every option returns a pending Connection echoing them', async () => {
  const t0 = Date.now();
  fullConnection = await bare.createConnection(structuredClone(FULL_CONNECTION));
  assert.match(fullConnection.connectionId, /^con_[A-Za-z0-9]+$/);
  assert.equal(fullConnection.status, 'pending');
  assert.match(fullConnection.token, tokenPattern(bare.sessionId));
  assertRecentTimestamp(fullConnection.createdAt, t0, Date.now());
  assert.equal(fullConnection.activeAt ?? null, null);
  for (const key of ['location', 'ip', 'platform', 'clientData']) assert.equal(fullConnection[key] ?? null, null, key);
  assert.deepEqual(fullConnection.publishers, []);
  assert.deepEqual(fullConnection.subscribers, []);
  assert.equal(fullConnection.role, 'MODERATOR');
  assert.equal(fullConnection.serverData, FULL_CONNECTION.data);
  assert.deepEqual(plain(fullConnection.connectionProperties), {
    ...FULL_CONNECTION,
    rtspUri: null,
    adaptativeBitrate: null,
    onlyPlayWithSubscribers: null,
    networkCache: null,
  });
  assert.ok(bare.connections.some((c) => c.connectionId === fullConnection.connectionId));

  const res = await plenum.request('GET', `/openvidu/api/sessions/${bare.sessionId}/connection/${fullConnection.connectionId}`);
  assert.equal(res.status, 200);
  assert.equal(res.json.token, fullConnection.token);
  assert.equal(res.json.status, 'pending');
});

it('createConnection() with no properties takes the defaults', async () => {
  defaultConnection = await bare.createConnection();
  assert.match(defaultConnection.connectionId, /^con_[A-Za-z0-9]+$/);
  assert.notEqual(defaultConnection.connectionId, fullConnection.connectionId);
  assert.equal(defaultConnection.status, 'pending');
  assert.match(defaultConnection.token, tokenPattern(bare.sessionId));
  assert.notEqual(defaultConnection.token, fullConnection.token);
  const props = defaultConnection.connectionProperties;
  assert.equal(props.type, 'WEBRTC');
  assert.equal(props.role, 'PUBLISHER');
  assert.equal(props.record, true);
  assert.equal(props.data, '');
  assert.equal(props.kurentoOptions ?? null, null);
  assert.deepEqual(props.customIceServers, []);
});

it('createConnection() with a bad option rejects with 400 and creates nothing', async () => {
  await rejectsWithStatus(bare.createConnection({ role: 'NOT_A_ROLE' }), '400');
  await rejectsWithStatus(bare.createConnection({ customIceServers: [{ url: 'http://127.0.0.1' }] }), '400');
  await rejectsWithStatus(bare.createConnection({ customIceServers: [{ url: 'turn:127.0.0.1:3478' }] }), '400');
  const res = await plenum.request('GET', `/openvidu/api/sessions/${bare.sessionId}/connection`);
  assert.equal(res.json.numberOfElements, 2);
  assert.equal(bare.connections.length, 2);
});

it('generateToken() (POST /openvidu/api/tokens) without options adds a pending PUBLISHER connection', async () => {
  const token = await bare.generateToken();
  assert.match(token, tokenPattern(bare.sessionId));
  assert.equal(await bare.fetch(), true, 'a new connection appeared');
  const connection = bare.connections.find((c) => c.token === token);
  assert.ok(connection, 'the token is a connection of the session');
  assert.equal(connection.status, 'pending');
  assert.equal(connection.connectionProperties.role, 'PUBLISHER');
  assert.equal(connection.connectionProperties.record, true);
  assert.equal(connection.connectionProperties.data, '');
  assert.equal(bare.connections.length, 3);
});

it('generateToken() with options keeps role, data and kurentoOptions', async () => {
  const kurentoOptions = { videoMaxRecvBandwidth: 500, allowedFilters: ['GStreamerFilter'] };
  const token = await bare.generateToken({ role: OpenViduRole.SUBSCRIBER, data: 'token-data', kurentoOptions });
  assert.match(token, tokenPattern(bare.sessionId));
  assert.equal(await bare.fetch(), true);
  const connection = bare.connections.find((c) => c.token === token);
  assert.ok(connection);
  assert.equal(connection.connectionProperties.role, 'SUBSCRIBER');
  assert.equal(connection.connectionProperties.data, 'token-data');
  assert.deepEqual(connection.connectionProperties.kurentoOptions, kurentoOptions);
  assert.equal(bare.connections.length, 4);
});

it('OpenVidu.fetch() is false when nothing changed and true after changes made elsewhere', async () => {
  await ov.fetch(); // aligns the local copies with the server
  assert.equal(await ov.fetch(), false);

  // A connection made by plain REST, behind the client's back.
  const res = await plenum.request('POST', `/openvidu/api/sessions/${bare.sessionId}/connection`, { body: {} });
  assert.equal(res.status, 200);
  assert.equal(await ov.fetch(), true);
  assert.ok(bare.connections.some((c) => c.connectionId === res.json.connectionId));
  assert.equal(await ov.fetch(), false);

  // A session made by another client instance.
  const other = await new OpenVidu(plenum.url, plenum.secret).createSession({ customSessionId: 'e2e-232_other' });
  assert.equal(await ov.fetch(), true);
  assert.ok(ov.activeSessions.some((s) => s.sessionId === other.sessionId));
  assert.equal(await ov.fetch(), false);

  // ... and closed by plain REST.
  assert.equal((await plenum.request('DELETE', '/openvidu/api/sessions/e2e-232_other')).status, 204);
  assert.equal(await ov.fetch(), true);
  assert.ok(!ov.activeSessions.some((s) => s.sessionId === 'e2e-232_other'));
});

it('Session.fetch() is false when nothing changed and true after a change', async () => {
  await bare.fetch();
  assert.equal(await bare.fetch(), false);
  const patched = await plenum.request(
    'PATCH',
    `/openvidu/api/sessions/${bare.sessionId}/connection/${defaultConnection.connectionId}`,
    { body: { role: 'MODERATOR' } },
  );
  assert.equal(patched.status, 200);
  assert.equal(await bare.fetch(), true);
  const local = bare.connections.find((c) => c.connectionId === defaultConnection.connectionId);
  assert.equal(local.connectionProperties.role, 'MODERATOR');
  assert.equal(await bare.fetch(), false);
});

it('updateConnection() changes role and record; an unknown connection is 404', async () => {
  const updated = await bare.updateConnection(fullConnection.connectionId, { role: OpenViduRole.SUBSCRIBER, record: true });
  assert.equal(updated.connectionId, fullConnection.connectionId);
  assert.equal(updated.connectionProperties.role, 'SUBSCRIBER');
  assert.equal(updated.connectionProperties.record, true);
  assert.equal(updated.connectionProperties.data, FULL_CONNECTION.data, 'other properties untouched');
  const res = await plenum.request('GET', `/openvidu/api/sessions/${bare.sessionId}/connection/${fullConnection.connectionId}`);
  assert.equal(res.json.role, 'SUBSCRIBER');
  assert.equal(res.json.record, true);
  assert.deepEqual(res.json.kurentoOptions, FULL_CONNECTION.kurentoOptions);

  // A connection the client has not seen: it resolves to the server's answer.
  const fresh = await plenum.request('POST', `/openvidu/api/sessions/${bare.sessionId}/connection`, {
    body: { data: 'unseen', record: false },
  });
  const unseen = await bare.updateConnection(fresh.json.connectionId, { record: true });
  assert.equal(unseen.connectionId, fresh.json.connectionId);
  assert.equal(unseen.connectionProperties.record, true);
  assert.equal(unseen.connectionProperties.data, 'unseen');
  assert.equal(unseen.connectionProperties.role, 'PUBLISHER');

  await rejectsWithStatus(bare.updateConnection('con_DoesNotExist', { role: OpenViduRole.SUBSCRIBER }), '404');
});

it('forceDisconnect() removes a pending connection; a second time is 404', async () => {
  await bare.forceDisconnect(fullConnection);
  assert.ok(!bare.connections.some((c) => c.connectionId === fullConnection.connectionId));
  const path = `/openvidu/api/sessions/${bare.sessionId}/connection/${fullConnection.connectionId}`;
  assert.equal((await plenum.request('GET', path)).status, 404);
  await rejectsWithStatus(bare.forceDisconnect(fullConnection), '404');
  await rejectsWithStatus(bare.forceDisconnect(fullConnection.connectionId), '404');
  // The other connections are still there.
  assert.equal(await bare.fetch(), false);
  assert.ok(bare.connections.some((c) => c.connectionId === defaultConnection.connectionId));
});

it('forceUnpublish() of a stream the session does not have is 404', async () => {
  await rejectsWithStatus(bare.forceUnpublish('str_CAM_Nope_con_DoesNotExist'), '404');
});

it('close() removes the session; closing again is 404', async () => {
  await bare.close();
  assert.ok(!ov.activeSessions.some((s) => s.sessionId === bare.sessionId));
  assert.equal((await plenum.request('GET', `/openvidu/api/sessions/${bare.sessionId}`)).status, 404);
  await rejectsWithStatus(bare.close(), '404');
  await rejectsWithStatus(bare.createConnection(), '404');
  await rejectsWithStatus(bare.generateToken(), '404');
  await rejectsWithStatus(bare.fetch(), '404');
  // The fetch also proves the client still sees the other session.
  await ov.fetch();
  assert.deepEqual(
    ov.activeSessions.map((s) => s.sessionId).filter((id, i, all) => all.indexOf(id) === i),
    ['e2e-232_full'],
  );
});

it('recording API with OPENVIDU_RECORDING=false answers 501', async () => {
  await recordingCallsAnswer501(ov, full.sessionId);
});

it('recording API with OPENVIDU_RECORDING=true: empty list, 404 for unknown ids, 406 without participants', async () => {
  recordingPlenum = await startPlenum({ OPENVIDU_RECORDING: 'true', OPENVIDU_RECORDING_PATH: tempDir() });
  const rov = new OpenVidu(recordingPlenum.url, recordingPlenum.secret);
  assert.deepEqual(await rov.listRecordings(), []);
  await rejectsWithStatus(rov.getRecording('nope'), '404');
  await rejectsWithStatus(rov.stopRecording('nope'), '404');
  await rejectsWithStatus(rov.deleteRecording('nope'), '404');
  const session = await rov.createSession();
  await rejectsWithStatus(rov.startRecording(session.sessionId), '406');
  await rejectsWithStatus(rov.startRecording(session.sessionId, { name: 'n', outputMode: 'INDIVIDUAL' }), '406');
  await rejectsWithStatus(rov.startRecording('no-such-session'), '404');
  assert.equal(session.recording, false);
  const relayed = await rov.createSession({ mediaMode: MediaMode.RELAYED });
  await rejectsWithStatus(rov.startRecording(relayed.sessionId), '409');
});

it('every call went to the 2.16+ paths', () => {
  assert.ok(calls.length > 30, `only ${calls.length} calls recorded`);
  const wrong = calls.filter((c) => !c.path.startsWith('/openvidu/api/'));
  assert.deepEqual(wrong, []);
});
