// What the openvidu-browser participant pages (openvidu.js for 2.32,
// openvidu-2.13.js for 2.13) share: the event log the harness polls, how a
// rejection becomes a readable Error, recording the Session's events and
// subscribing to every remote stream, and the getStats() summary of the page's
// subscribers and publisher. Loaded before the page's own script.
'use strict';

window.participantCommon = (() => {
  /** Everything that happened, oldest first: {at (s since load), source, event, ...data}. */
  function eventLog() {
    const started = performance.now();
    const log = [];
    const record = (source, event, data = {}) => {
      log.push({ at: Number(((performance.now() - started) / 1000).toFixed(3)), source, event, ...data });
    };
    return { log, record };
  }

  /** An Error whose message says what openvidu-browser rejected with (OpenViduError, JSON-RPC error, Error). */
  function describe(error) {
    if (error instanceof Error && !error.name?.startsWith('OPENVIDU')) return error;
    if (error && typeof error === 'object') {
      if ('code' in error) return new Error(`JSON-RPC error ${error.code}: ${error.message}${error.data ? ` ${JSON.stringify(error.data)}` : ''}`);
      if (error.name || error.message) return new Error(`${error.name}: ${error.message}`);
    }
    return new Error(`rejected with ${JSON.stringify(error)}`);
  }

  const connectionOf = (stream) => stream?.connection?.connectionId;

  /**
   * `fields` of the getStats() entry of `type` and `kind` (null when there is none), and
   * `codec`: the mimeType of its codec (e.g. `video/H264`; null before one is negotiated).
   */
  function counters(report, type, kind, fields) {
    let found = null;
    report.forEach((stat) => {
      if (stat.type === type && stat.kind === kind) {
        found = { codec: report.get(stat.codecId)?.mimeType ?? null };
        for (const field of fields) found[field] = stat[field] ?? 0;
      }
    });
    return found;
  }

  /**
   * Per subscribed stream (`subscribers`: streamId → Subscriber): the inbound-rtp counters of its
   * RTCPeerConnection (video framesDecoded, audio bytesReceived, ...), and `publisher`'s outbound ones.
   */
  async function mediaStats(subscribers, publisher) {
    const result = { subscribers: {}, publisher: null };
    for (const [streamId, subscriber] of subscribers) {
      const pc = subscriber.stream.getRTCPeerConnection?.();
      if (!pc) {
        result.subscribers[streamId] = { connectionId: connectionOf(subscriber.stream), pc: null };
        continue;
      }
      const report = await pc.getStats();
      result.subscribers[streamId] = {
        connectionId: connectionOf(subscriber.stream),
        ice: pc.iceConnectionState,
        video: counters(report, 'inbound-rtp', 'video', ['packetsReceived', 'bytesReceived', 'framesDecoded', 'frameWidth', 'frameHeight']),
        audio: counters(report, 'inbound-rtp', 'audio', ['packetsReceived', 'bytesReceived']),
      };
    }
    const pc = publisher?.stream?.getRTCPeerConnection?.();
    if (pc) {
      const report = await pc.getStats();
      result.publisher = {
        streamId: publisher.stream.streamId,
        ice: pc.iceConnectionState,
        video: counters(report, 'outbound-rtp', 'video', ['packetsSent', 'bytesSent', 'framesEncoded']),
        audio: counters(report, 'outbound-rtp', 'audio', ['packetsSent', 'bytesSent']),
      };
    }
    return result;
  }

  /**
   * Records every event of `session` with `record` and subscribes to each new remote
   * stream (audio and video, into a <div> of #subscribers), keeping `subscribers`
   * (streamId → Subscriber) up to date.
   */
  function watchSession(session, record, subscribers) {
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
      subscribe(session, stream, record, subscribers);
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
    session.on('recordingStarted', (e) => record('session', 'recordingStarted', { id: e.id, name: e.name }));
    session.on('recordingStopped', (e) => record('session', 'recordingStopped', { id: e.id, name: e.name, reason: e.reason }));
  }

  function subscribe(session, stream, record, subscribers) {
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

  return { eventLog, describe, watchSession, mediaStats };
})();
