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
  const { eventLog, describe, connectionOf, mediaStats } = window.participantCommon;
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

  function watchSession() {
    session.on('connectionCreated', (e) => record('session', 'connectionCreated', { connectionId: e.connection.connectionId, data: e.connection.data }));
    session.on('connectionDestroyed', (e) => record('session', 'connectionDestroyed', { connectionId: e.connection.connectionId, reason: e.reason }));
    session.on('streamCreated', (e) => {
      const stream = e.stream;
      record('session', 'streamCreated', {
        streamId: stream.streamId,
        connectionId: connectionOf(stream),
        hasAudio: stream.hasAudio,
        hasVideo: stream.hasVideo,
        typeOfVideo: stream.typeOfVideo,
      });
      subscribe(stream);
    });
    session.on('streamDestroyed', (e) => {
      record('session', 'streamDestroyed', { streamId: e.stream.streamId, connectionId: connectionOf(e.stream), reason: e.reason });
      subscribers.delete(e.stream.streamId);
    });
    session.on('signal', (e) => record('session', 'signal', { type: e.type, data: e.data, from: e.from ? e.from.connectionId : null }));
    session.on('sessionDisconnected', (e) => record('session', 'sessionDisconnected', { reason: e.reason }));
    session.on('exception', (e) => record('session', 'exception', { name: e.name, message: e.message, origin: e.origin?.streamId ?? null }));
    session.on('reconnecting', () => record('session', 'reconnecting'));
    session.on('reconnected', () => record('session', 'reconnected'));
  }

  function subscribe(stream) {
    const box = document.createElement('div');
    box.dataset.streamId = stream.streamId;
    document.getElementById('subscribers').append(box);
    const subscriber = session.subscribe(stream, box, { subscribeToAudio: true, subscribeToVideo: true }, (error) => {
      if (error) record('subscriber', 'subscribeError', { streamId: stream.streamId, message: describe(error).message });
      else record('subscriber', 'subscribed', { streamId: stream.streamId });
    });
    subscribers.set(stream.streamId, subscriber);
    subscriber.on('streamPlaying', () => record('subscriber', 'streamPlaying', { streamId: stream.streamId }));
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
      watchSession();
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
