// One OpenVidu participant, driven by the e2e harness through `window.ovTest`
// (Playwright page.evaluate). It uses the unmodified openvidu-browser 2.32.2
// browser build (window.OpenVidu) the way an application does: connect with a
// token, publish the fake camera and microphone, subscribe to every remote
// stream as soon as `streamCreated` arrives, signal, leave. Every event the
// Session, the Publisher and the Subscribers dispatch is recorded with its data
// in `log`, which the harness polls.
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

  window.ovTest = {
    log,

    /** new OpenVidu(), initSession, connect(token, {clientData: name}); resolves our own connection. */
    async join(token, name) {
      ov = new OpenVidu();
      ov.enableProdMode();
      session = ov.initSession();
      watchSession(session, record, subscribers);
      try {
        await session.connect(token, { clientData: name });
      } catch (error) {
        record('session', 'connectError', { message: describe(error).message });
        throw describe(error);
      }
      record('session', 'connected', { connectionId: session.connection.connectionId });
      return { connectionId: session.connection.connectionId, data: session.connection.data, role: session.connection.role };
    },

    /**
     * From now on this page's offers (publisher and subscribers) leave out the video
     * codec `mimeType` (e.g. `video/H264`), as a browser that cannot send or receive
     * it would: each video transceiver gets setCodecPreferences without it just
     * before openvidu-browser's createOffer.
     */
    refuseVideoCodec(mimeType) {
      const createOffer = RTCPeerConnection.prototype.createOffer;
      const others = RTCRtpReceiver.getCapabilities('video').codecs.filter((c) => c.mimeType.toLowerCase() !== mimeType.toLowerCase());
      RTCPeerConnection.prototype.createOffer = function (...args) {
        for (const transceiver of this.getTransceivers()) {
          if (transceiver.receiver.track.kind === 'video') transceiver.setCodecPreferences(others);
        }
        return createOffer.apply(this, args);
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
