// One OpenVidu participant on the unmodified openvidu-browser 2.13.0 browser
// build (window.OpenVidu), driven by the e2e harness through `window.ovTest`
// (Playwright page.evaluate) with the same calls as pages/openvidu.js (2.32):
// join, publish, leave, events, stats. 2.13 differs where the page reaches
// inside: Session.remoteConnections is a plain object, and a Connection has no
// `role` (the browser keeps the role it read from the token in
// `OpenVidu.role` and derives `Session.capabilities` from it); the ICE servers
// it built from the token's TURN fields are `OpenVidu.iceServers`.
// enableProdMode() is not called, so the console keeps the version line the
// browser prints when it reads the token.
'use strict';

(() => {
  const { eventLog, describe, watchSession, mediaStats } = window.participantCommon;
  const { log, record } = eventLog();

  let ov = null;
  let session = null;
  let publisher = null;
  /** streamId → Subscriber */
  const subscribers = new Map();

  /** The Connection object for an id: our own or a remote one. */
  function connection(connectionId) {
    if (session.connection?.connectionId === connectionId) return session.connection;
    const remote = session.remoteConnections[connectionId];
    if (!remote) throw new Error(`no connection ${connectionId}; known: ${Object.keys(session.remoteConnections).join(', ')}`);
    return remote;
  }

  window.ovTest = {
    log,

    /**
     * new OpenVidu(), initSession, connect(token, {clientData: name}); resolves our own
     * connection and what the browser took from the token: role, capabilities, ICE
     * servers and the websocket URI.
     */
    async join(token, name) {
      ov = new OpenVidu();
      session = ov.initSession();
      watchSession(session, record, subscribers);
      try {
        await session.connect(token, { clientData: name });
      } catch (error) {
        record('session', 'connectError', { message: describe(error).message });
        throw describe(error);
      }
      record('session', 'connected', { connectionId: session.connection.connectionId });
      return {
        connectionId: session.connection.connectionId,
        data: session.connection.data,
        role: ov.role,
        capabilities: { ...session.capabilities },
        iceServers: ov.iceServers ?? null,
        wsUri: ov.getWsUri(),
        libraryVersion: ov.libraryVersion,
      };
    },

    /** Fake camera and microphone, audio+video, published; resolves {streamId}. */
    async publish() {
      try {
        publisher = await ov.initPublisherAsync(undefined, {
          audioSource: undefined,
          videoSource: undefined,
          publishAudio: true,
          publishVideo: true,
          resolution: '640x480',
          frameRate: 30,
          mirror: false,
        });
      } catch (error) {
        throw describe(error);
      }
      publisher.on('streamCreated', (e) => record('publisher', 'streamCreated', { streamId: e.stream.streamId }));
      publisher.on('streamDestroyed', (e) => record('publisher', 'streamDestroyed', { streamId: e.stream.streamId, reason: e.reason }));
      publisher.on('streamPlaying', () => record('publisher', 'streamPlaying'));
      try {
        await session.publish(publisher);
      } catch (error) {
        record('publisher', 'publishError', { message: describe(error).message });
        throw describe(error);
      }
      record('publisher', 'published', { streamId: publisher.stream.streamId });
      return { streamId: publisher.stream.streamId };
    },

    async unpublish() {
      try {
        await session.unpublish(publisher);
      } catch (error) {
        throw describe(error);
      }
    },

    /** session.signal; `to` is an array of connection ids (undefined: everyone). */
    async signal(to, type, data) {
      try {
        await session.signal({ to: to?.map(connection), type, data });
      } catch (error) {
        throw describe(error);
      }
    },

    /** session.disconnect() (leaveRoom, then the websocket is closed). */
    leave() {
      session.disconnect();
    },

    events() {
      return log;
    },

    /**
     * Per subscribed stream: the inbound-rtp counters of its RTCPeerConnection
     * (video framesDecoded, audio bytesReceived, ...), and our publisher's outbound ones.
     */
    async stats() {
      return mediaStats(subscribers, publisher);
    },
  };
})();
