// One WebRTC peer, driven by the e2e harness through `window.peer`.
// Local ICE candidates are handed to the harness with window.plenumLocalCandidate
// (a Playwright binding); the harness relays them to the media node.
'use strict';

(() => {
  const started = performance.now();
  const history = [];
  const note = (line) => history.push(`${((performance.now() - started) / 1000).toFixed(3)}s ${line}`);
  let pc = null;

  function newPeerConnection() {
    pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
    pc.onicecandidate = ({ candidate }) => {
      note(`local candidate ${candidate ? candidate.candidate : '(end)'}`);
      const plain = candidate
        ? { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex }
        : null;
      window.plenumLocalCandidate(plain);
    };
    pc.oniceconnectionstatechange = () => note(`iceConnectionState ${pc.iceConnectionState}`);
    pc.onconnectionstatechange = () => note(`connectionState ${pc.connectionState}`);
    pc.onicegatheringstatechange = () => note(`iceGatheringState ${pc.iceGatheringState}`);
    pc.onsignalingstatechange = () => note(`signalingState ${pc.signalingState}`);
    pc.ontrack = ({ track, streams }) => {
      note(`remote ${track.kind} track`);
      const video = document.getElementById('remote');
      if (!video.srcObject) video.srcObject = streams[0] ?? new MediaStream();
      if (!streams[0]) video.srcObject.addTrack(track);
      video.play().catch((error) => note(`play: ${error.message}`));
    };
    return pc;
  }

  async function localOffer() {
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    note('local offer set');
    return pc.localDescription.sdp;
  }

  function counters(report, kind, fields) {
    let found = null;
    report.forEach((stat) => {
      if (stat.type === kind.type && stat.kind === kind.media) {
        found = {};
        for (const field of fields) found[field] = stat[field] ?? 0;
      }
    });
    return found;
  }

  const INBOUND = ['packetsReceived', 'bytesReceived', 'packetsLost', 'framesReceived', 'framesDecoded', 'keyFramesDecoded', 'frameWidth', 'frameHeight', 'totalSamplesReceived'];
  const OUTBOUND = ['packetsSent', 'bytesSent', 'framesEncoded', 'frameWidth', 'frameHeight'];

  window.peer = {
    history,

    async publishOffer() {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: true,
        video: { width: 640, height: 480, frameRate: 30 },
      });
      note(`getUserMedia: ${stream.getTracks().map((t) => `${t.kind} ${t.label}`).join(', ')}`);
      newPeerConnection();
      for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
      return localOffer();
    },

    async subscribeOffer() {
      newPeerConnection();
      pc.addTransceiver('audio', { direction: 'recvonly' });
      pc.addTransceiver('video', { direction: 'recvonly' });
      return localOffer();
    },

    async setAnswer(sdp) {
      await pc.setRemoteDescription({ type: 'answer', sdp });
      note('remote answer set');
    },

    async addIceCandidate(candidate) {
      await pc.addIceCandidate(candidate);
      note(`remote candidate ${candidate.candidate}`);
    },

    state() {
      if (!pc) return null;
      return {
        ice: pc.iceConnectionState,
        connection: pc.connectionState,
        signaling: pc.signalingState,
        gathering: pc.iceGatheringState,
      };
    },

    async inbound() {
      if (!pc) return null;
      const report = await pc.getStats();
      return {
        audio: counters(report, { type: 'inbound-rtp', media: 'audio' }, INBOUND),
        video: counters(report, { type: 'inbound-rtp', media: 'video' }, INBOUND),
      };
    },

    async outbound() {
      if (!pc) return null;
      const report = await pc.getStats();
      return {
        audio: counters(report, { type: 'outbound-rtp', media: 'audio' }, OUTBOUND),
        video: counters(report, { type: 'outbound-rtp', media: 'video' }, OUTBOUND),
      };
    },
  };
})();
