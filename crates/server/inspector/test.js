// Test: a one-click check of a fresh install. The page publishes the camera
// through openvidu-browser (vendored, Apache-2.0: vendor/openvidu-browser.LICENSE)
// in one OpenVidu session object and subscribes to it from a second one, so
// the video that comes back has gone through the signaling and a media node.
import { rest } from '/inspector/assets/rest.js';
import { h, button, notify } from '/inspector/assets/dom.js';

const BUNDLE = '/inspector/assets/vendor/openvidu-browser-2.32.2.min.js';

function loadBundle() {
  if (window.OpenVidu) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const script = h('script', { src: BUNDLE });
    script.addEventListener('load', resolve);
    script.addEventListener('error', () => reject(new Error('cannot load openvidu-browser')));
    document.head.append(script);
  });
}

/** Disconnects `session` and resolves once it has left (or after 5 s, if the server never answers). */
function leave(session) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 5000);
    session.on('sessionDisconnected', () => {
      clearTimeout(timer);
      resolve();
    });
    session.disconnect();
  });
}

/** Resolves once `condition()` holds, checking every 100 ms for at most 5 s. */
async function until(condition) {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (await condition().catch(() => true)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function mount(container) {
  const status = h('p', { id: 'test-status', class: 'summary' }, 'Idle.');
  const local = h('div', { class: 'video', id: 'test-local' });
  const remote = h('div', { class: 'video', id: 'test-remote' });
  let running = null;

  async function start() {
    await loadBundle();
    const sessionId = `inspector-test-${Math.random().toString(36).slice(2, 10)}`;
    await rest('POST', '/sessions', { customSessionId: sessionId });
    const token = async (data) => (await rest('POST', `/sessions/${sessionId}/connection`, { data })).token;
    const OV = new window.OpenVidu();
    OV.enableProdMode();
    const publisherSession = OV.initSession();
    const OV2 = new window.OpenVidu();
    OV2.enableProdMode();
    const subscriberSession = OV2.initSession();
    running = { sessionId, sessions: [publisherSession, subscriberSession] };
    status.textContent = `Session ${sessionId}: connecting…`;
    subscriberSession.on('streamCreated', (event) => {
      const subscriber = subscriberSession.subscribe(event.stream, remote);
      subscriber.on('streamPlaying', async () => {
        const video = remote.querySelector('video');
        const size = `${video?.videoWidth}×${video?.videoHeight}`;
        const session = await rest('GET', `/sessions/${sessionId}`).catch(() => ({}));
        status.textContent = `Receiving ${size} back through media node ${session.mediaNodeId ?? '?'}: it works.`;
        status.dataset.state = 'receiving';
      });
    });
    await subscriberSession.connect(await token('inspector-test-subscriber'));
    await publisherSession.connect(await token('inspector-test-publisher'));
    const publisher = await OV.initPublisherAsync(local, { audioSource: false, resolution: '320x240', frameRate: 15, mirror: false });
    await publisherSession.publish(publisher);
    status.textContent = `Session ${sessionId}: published, waiting for the video to come back…`;
  }

  async function stop() {
    if (!running) return;
    const { sessionId, sessions } = running;
    running = null;
    // The subscriber first, and the publisher only once the master has seen it go: a session told
    // that the other left after it had itself left logs an error.
    const [publisherSession, subscriberSession] = sessions;
    await leave(subscriberSession);
    await until(async () => {
      const session = await rest('GET', `/sessions/${sessionId}`);
      return session.connections.content.filter((c) => c.status === 'active').length <= 1;
    });
    await leave(publisherSession);
    // The last one leaving closes the session; one left half-started is closed here.
    const live = await rest('GET', '/sessions').catch(() => ({ content: [] }));
    if (live.content?.some((s) => s.id === sessionId)) await rest('DELETE', `/sessions/${sessionId}`).catch(() => {});
    local.replaceChildren();
    remote.replaceChildren();
    status.textContent = 'Stopped.';
    delete status.dataset.state;
  }

  container.append(
    h('h2', {}, 'Test'),
    h('p', {}, 'Publishes your camera and subscribes to it through a media node.'),
    h('div', { class: 'actions' },
      button('Start test', async () => { await stop(); await start(); }),
      button('Stop test', stop)),
    status,
    h('div', { class: 'videos' }, h('figure', {}, h('figcaption', {}, 'Sent'), local), h('figure', {}, h('figcaption', {}, 'Received'), remote)),
  );
  return () => stop().catch((e) => notify(e.message, 'error'));
}
