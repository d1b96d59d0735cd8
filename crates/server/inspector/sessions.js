// Sessions: the live sessions with their counters; per session its connections
// (with force-disconnect and unpublish), a graph of who receives whom, and the
// session's actions (start/stop recording, close). Refreshed when the event bus
// says something about sessions, not on a timer.
import { rest } from '/inspector/assets/rest.js';
import { h, table, button, time, debounce } from '/inspector/assets/dom.js';
import { on } from '/inspector/assets/live.js';
import { timeChart } from '/inspector/assets/charts.js';

const SESSION_EVENTS = new Set([
  'sessionCreated', 'sessionDestroyed', 'participantJoined', 'participantLeft',
  'webrtcConnectionCreated', 'webrtcConnectionDestroyed', 'recordingStatusChanged',
]);

/** The sessions whose details are open, kept across visits to the page. */
const open = new Set();
/** Per endpoint, its chart box and charts, kept while the page redraws the sessions around them. */
const streamCharts = new Map();

export async function mount(container) {
  const summary = h('p', { class: 'summary' });
  const list = h('div', { class: 'sessions' });
  container.append(h('h2', {}, 'Sessions'), summary, list);

  async function refresh() {
    const config = await rest('GET', '/config');
    // With recording off the recordings API answers 501: not asked, and no recording buttons.
    const recordingOn = config.OPENVIDU_RECORDING === true;
    const [sessions, recordings] = await Promise.all([
      rest('GET', '/sessions?pendingConnections=true'),
      recordingOn ? rest('GET', '/recordings') : { items: [] },
    ]);
    const content = sessions.content ?? [];
    const started = (id) => (recordings.items ?? []).find((r) => r.sessionId === id && r.status === 'started');
    let connections = 0, publishers = 0, subscribers = 0;
    for (const s of content) for (const c of s.connections?.content ?? []) {
      if (c.status === 'active') connections += 1;
      publishers += c.publishers?.length ?? 0;
      subscribers += c.subscribers?.length ?? 0;
    }
    summary.textContent = `${content.length} sessions · ${connections} connections · ${publishers} publishers · ${subscribers} subscribers`;
    list.replaceChildren(...(content.length ? content.map((s) => sessionCard(s, recordingOn, started(s.id), refresh))
      : [h('p', { class: 'empty' }, 'No live session.')]));
  }

  const later = debounce(() => refresh().catch(() => {}), 200);
  const off = on('bus', (event) => SESSION_EVENTS.has(event.event) && later());
  const offStats = on('stats', (sample) => plotStreams(list, sample));
  await refresh();
  return () => {
    off();
    offStats();
    for (const entry of streamCharts.values()) entry.destroy();
    streamCharts.clear();
  };
}

/** The node's figures of each stream, sampled on the master (`event: stats`), onto each endpoint's charts. */
function plotStreams(list, sample) {
  const seen = new Set();
  for (const stream of sample.streams) {
    seen.add(stream.endpoint);
    let entry = streamCharts.get(stream.endpoint);
    if (!entry) {
      const title = stream.receivingFrom ? `${stream.connectionId} receives ${stream.streamId}` : `${stream.streamId} (published)`;
      const box = h('div', { class: 'stream-chart', dataset: { endpoint: stream.endpoint, stream: stream.streamId } }, h('h4', {}, title));
      const rate = h('div', { class: 'chart', dataset: { figure: 'bitrate' } });
      const quality = h('div', { class: 'chart', dataset: { figure: 'quality' } });
      box.append(rate, quality);
      const charts = [
        timeChart(rate, 'bitrate (kbit/s)', ['video', 'audio'], { max: 300 }),
        timeChart(quality, 'video quality', ['fps', 'loss %', 'jitter ms', 'RTT ms'], { max: 300 }),
      ];
      entry = { box, session: stream.sessionId, charts, destroy: () => charts.forEach((c) => c.destroy()) };
      streamCharts.set(stream.endpoint, entry);
    }
    const video = stream.media.video ?? {};
    const audio = stream.media.audio ?? {};
    entry.charts[0].push(sample.t, [video.kbps, audio.kbps]);
    entry.charts[1].push(sample.t, [video.fps, video.lossPercent, video.jitterMs, video.rttMs]);
    const home = list.querySelector(`[data-stream-charts="${CSS.escape(stream.sessionId)}"]`);
    if (home && entry.box.parentNode !== home) home.append(entry.box);
  }
  for (const [endpoint, entry] of streamCharts) {
    if (!seen.has(endpoint)) {
      entry.destroy();
      entry.box.remove();
      streamCharts.delete(endpoint);
    }
  }
}

function sessionCard(session, recordingOn, recording, refresh) {
  const connections = session.connections?.content ?? [];
  const active = connections.filter((c) => c.status === 'active');
  const count = (key) => connections.reduce((n, c) => n + (c[key]?.length ?? 0), 0);
  const details = h('details', { class: 'session card', dataset: { session: session.id }, open: open.has(session.id) });
  details.addEventListener('toggle', () => (details.open ? open.add(session.id) : open.delete(session.id)));
  const actions = h('div', { class: 'actions' },
    !recordingOn ? null : recording
      ? button('Stop recording', async () => { await rest('POST', `/recordings/stop/${encodeURIComponent(recording.id)}`); refresh(); return `Recording ${recording.id} stopped`; })
      : button('Start recording', async () => { const r = await rest('POST', '/recordings/start', { session: session.id }); refresh(); return `Recording ${r.id} started`; }),
    button('Close session', async () => { await rest('DELETE', `/sessions/${encodeURIComponent(session.id)}`); refresh(); return `Session ${session.id} closed`; }, { class: 'danger' }),
  );
  details.append(
    h('summary', {},
      h('strong', {}, session.id),
      h('span', { class: 'counters' },
        ` ${active.length} connections · ${count('publishers')} publishers · ${count('subscribers')} subscribers`,
        recording ? h('span', { class: 'badge rec' }, '● REC') : null,
        session.mediaNodeId ? ` · node ${session.mediaNodeId}` : ''),
    ),
    h('p', {}, `Created ${time(session.createdAt)}`),
    actions,
    h('h3', {}, 'Connections'),
    connectionsTable(session, connections, refresh),
    h('h3', {}, 'Graph'),
    graph(connections),
    h('h3', {}, 'Streams (from the media node, every 2 s)'),
    streamsOf(session.id),
  );
  return details;
}

/** The session's stream charts: the boxes already drawn move into the redrawn card. */
function streamsOf(sessionId) {
  const home = h('div', { class: 'charts', dataset: { streamCharts: sessionId } });
  for (const entry of streamCharts.values()) if (entry.session === sessionId) home.append(entry.box);
  return home;
}

function connectionsTable(session, connections, refresh) {
  const rows = connections.map((c) => ({
    attrs: { dataset: { connection: c.connectionId } },
    cells: [
      c.connectionId,
      time(c.activeAt ?? c.createdAt),
      c.role,
      c.clientData || '—',
      c.serverData || '—',
      c.location || '—',
      c.platform || '—',
      h('span', {}, ...(c.publishers ?? []).map((p) => h('div', { class: 'stream' }, p.streamId, ' ',
        button('Unpublish', async () => {
          await rest('DELETE', `/sessions/${encodeURIComponent(session.id)}/stream/${encodeURIComponent(p.streamId)}`);
          refresh();
          return `Stream ${p.streamId} unpublished`;
        }, { class: 'small' })))),
      String(c.subscribers?.length ?? 0),
      c.status === 'active' || c.status === 'pending'
        ? button('Disconnect', async () => {
          await rest('DELETE', `/sessions/${encodeURIComponent(session.id)}/connection/${encodeURIComponent(c.connectionId)}`);
          refresh();
          return `Connection ${c.connectionId} disconnected`;
        }, { class: 'danger small' })
        : '',
    ],
  }));
  return table(['ID', 'Time', 'Role', 'Client data', 'Server data', 'Location', 'Platform', 'Publishers', 'Subscribers', ''], rows, { class: 'connections' });
}

/** Who receives whom: each connection a node, an arrow from a publisher to each of its subscribers. */
function graph(connections) {
  const active = connections.filter((c) => c.status === 'active');
  const owner = new Map();
  for (const c of active) for (const p of c.publishers ?? []) owner.set(p.streamId, c.connectionId);
  const edges = [];
  for (const c of active) for (const s of c.subscribers ?? []) {
    const from = owner.get(s.streamId);
    if (from) edges.push([from, c.connectionId]);
  }
  const width = 360, row = 44, height = Math.max(1, active.length) * row + 10;
  const y = new Map(active.map((c, i) => [c.connectionId, i * row + 27]));
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'graph');
  svg.dataset.edges = String(edges.length);
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text) e.textContent = text;
    svg.append(e);
  };
  const defs = document.createElementNS(ns, 'defs');
  defs.innerHTML = '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#2563eb"/></marker>';
  svg.append(defs);
  for (const [from, to] of edges) {
    const y1 = y.get(from), y2 = y.get(to);
    el('path', { d: `M90,${y1} C200,${y1} 200,${y2} 270,${y2}`, stroke: '#2563eb', fill: 'none', 'marker-end': 'url(#arrow)', class: 'edge' });
  }
  for (const c of active) {
    const label = c.connectionId.length > 14 ? c.connectionId.slice(0, 14) + '…' : c.connectionId;
    const publishes = (c.publishers?.length ?? 0) > 0;
    el('text', { x: 10, y: y.get(c.connectionId) + 4, class: publishes ? 'publisher' : 'idle' }, label);
    el('text', { x: 275, y: y.get(c.connectionId) + 4 }, `${c.subscribers?.length ?? 0} in`);
  }
  return svg;
}
