// One OpenVidu participant, driven by the e2e harness through `window.ovTest`
// (Playwright page.evaluate). It uses the unmodified openvidu-browser 2.32.2
// browser build (window.OpenVidu) the way an application does: connect with a
// token, publish the fake camera and microphone, subscribe to every remote
// stream as soon as `streamCreated` arrives, signal, leave. Every event the
// Session, the Publisher and the Subscribers dispatch is recorded with its data
// in `log`, which the harness polls.
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
    const remote = session.remoteConnections.get(connectionId);
    if (!remote) throw new Error(`no connection ${connectionId}; known: ${[...session.remoteConnections.keys()].join(', ')}`);
    return remote;
  }

  /** A remote Stream object by id. */
  function remoteStream(streamId) {
    for (const remote of session.remoteConnections.values()) {
      if (remote.stream?.streamId === streamId) return remote.stream;
    }
    throw new Error(`no remote stream ${streamId}`);
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
    session.on('streamPropertyChanged', (e) =>
      record('session', 'streamPropertyChanged', { streamId: e.stream.streamId, property: e.changedProperty, newValue: e.newValue, reason: e.reason }),
    );
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

    /** new OpenVidu(), initSession, connect(token, {clientData: name}); resolves our own connection. */
    async join(token, name) {
      ov = new OpenVidu();
      ov.enableProdMode();
      session = ov.initSession();
      watchSession();
      try {
        await session.connect(token, { clientData: name });
      } catch (error) {
        record('session', 'connectError', { message: describe(error).message });
        throw describe(error);
      }
      record('session', 'connected', { connectionId: session.connection.connectionId });
      return { connectionId: session.connection.connectionId, data: session.connection.data, role: session.connection.role };
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

    /** Renegotiates the own published stream (openvidu-browser's Stream.reconnect(): reconnectStream with a new offer). */
    async reconnectPublisher() {
      try {
        await publisher.stream.reconnect();
      } catch (error) {
        throw describe(error);
      }
    },

    /** Renegotiates the subscription to `streamId`. */
    async reconnectSubscriber(streamId) {
      const subscriber = subscribers.get(streamId);
      if (!subscriber) throw new Error(`not subscribed to ${streamId}`);
      try {
        await subscriber.stream.reconnect();
      } catch (error) {
        throw describe(error);
      }
    },

    async unpublish() {
      try {
        await session.unpublish(publisher);
      } catch (error) {
        throw describe(error);
      }
    },

    /** Unsubscribes from the remote stream `streamId`. */
    async unsubscribe(streamId) {
      const subscriber = subscribers.get(streamId);
      if (!subscriber) throw new Error(`not subscribed to ${streamId}; subscribed: ${[...subscribers.keys()].join(', ')}`);
      try {
        await session.unsubscribe(subscriber);
      } catch (error) {
        throw describe(error);
      }
      subscribers.delete(streamId);
    },

    /** session.signal; `to` is an array of connection ids (undefined: everyone). */
    async signal(to, type, data) {
      try {
        await session.signal({ to: to?.map(connection), type, data });
      } catch (error) {
        throw describe(error);
      }
    },

    async forceDisconnect(connectionId) {
      try {
        await session.forceDisconnect(connection(connectionId));
      } catch (error) {
        throw describe(error);
      }
    },

    async forceUnpublish(streamId) {
      try {
        await session.forceUnpublish(remoteStream(streamId));
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
