// History: past sessions rebuilt from the CDR (duration, users, publishers,
// recordings and why they ended), and each one's event timeline.
import { inspector } from '/inspector/assets/rest.js';
import { h, table, button, time, seconds, debounce } from '/inspector/assets/dom.js';
import { on } from '/inspector/assets/live.js';

export async function mount(container) {
  const area = h('div');
  const timeline = h('div', { class: 'timeline' });
  container.append(h('h2', {}, 'History'), h('div', { class: 'actions' }, button('Refresh', () => refresh())), area, timeline);

  async function refresh() {
    const history = await inspector('history');
    const sessions = history.sessions ?? [];
    area.replaceChildren(sessions.length ? table(
      ['Session', 'Started', 'Ended', 'Duration', 'Users', 'Publishers', 'Subscribers', 'Recordings', 'Reason', ''],
      sessions.map((s) => ({ attrs: { dataset: { session: s.uniqueSessionId } }, cells: [
        s.sessionId, time(s.startTime), s.endTime ? time(s.endTime) : 'live', seconds(s.duration), String(s.users),
        String(s.publishers), String(s.subscribers), s.recordings.join(', ') || '—',
        s.reason ?? '—',
        h('button', { type: 'button', class: 'small', onclick: () => showTimeline(timeline, s) }, 'Timeline'),
      ] })),
      { class: 'history' },
    ) : h('p', { class: 'empty' }, 'The CDR has no session yet.'));
  }

  const later = debounce(() => refresh().catch(() => {}), 500);
  const off = on('bus', (event) => event.event === 'sessionDestroyed' && later());
  await refresh();
  return off;
}

function showTimeline(container, session) {
  const start = session.timeline[0]?.timestamp ?? 0;
  container.replaceChildren(
    h('h3', {}, `Timeline of ${session.uniqueSessionId}`),
    h('ol', { class: 'events' }, session.timeline.map((e) => h('li', { dataset: { event: e.event } },
      h('span', { class: 'at' }, `+${((e.timestamp - start) / 1000).toFixed(1)} s`), ' ',
      h('strong', {}, e.event), ' ',
      describe(e.fields)))),
  );
}

function describe(fields) {
  const keys = ['connectionId', 'streamId', 'connection', 'receivingFrom', 'id', 'status', 'reason'];
  return keys.filter((k) => fields[k] !== undefined && fields[k] !== null).map((k) => `${k}=${fields[k]}`).join(' ');
}
