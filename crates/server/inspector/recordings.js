// Recordings: the list, a player in the page (a <video> over
// /inspector/recordings/<id>/<file>, which answers ranges, so seeking works),
// download and delete.
import { rest } from '/inspector/assets/rest.js';
import { h, table, button, time, seconds, bytes, debounce } from '/inspector/assets/dom.js';
import { on } from '/inspector/assets/live.js';

/** The recording's file name, from its `url` (`…/openvidu/recordings/<id>/<file>`). */
function fileOf(recording) {
  if (!recording.url) return null;
  const parts = new URL(recording.url, location.href).pathname.split('/');
  return parts[parts.length - 1] || null;
}

export async function mount(container) {
  const area = h('div');
  const player = h('div', { class: 'player' });
  container.append(h('h2', {}, 'Recordings'), player, area);

  async function refresh() {
    const config = await rest('GET', '/config');
    if (config.OPENVIDU_RECORDING !== true) {
      area.replaceChildren(h('p', { class: 'empty' }, 'Recording is off (OPENVIDU_RECORDING=false).'));
      return;
    }
    const list = (await rest('GET', '/recordings')).items ?? [];
    area.replaceChildren(list.length ? table(
      ['ID', 'Session', 'Status', 'Output', 'Created', 'Duration', 'Size', 'Actions'],
      list.map((r) => {
        const file = fileOf(r);
        const src = file && `/inspector/recordings/${encodeURIComponent(r.id)}/${encodeURIComponent(file)}`;
        const ready = r.status === 'ready' && src;
        return { attrs: { dataset: { recording: r.id } }, cells: [
          r.id, r.sessionId, r.status, r.outputMode, time(r.createdAt), seconds(r.duration), bytes(r.size),
          h('span', { class: 'actions' },
            ready && file.endsWith('.mp4') || ready && file.endsWith('.webm')
              ? button('Play', async () => play(player, r, src), { class: 'small' }) : null,
            ready ? h('a', { href: src, download: file, class: 'button small' }, 'Download') : null,
            button('Delete', async () => {
              await rest('DELETE', `/recordings/${encodeURIComponent(r.id)}`);
              player.replaceChildren();
              refresh();
              return `Recording ${r.id} deleted`;
            }, { class: 'danger small' })),
        ] };
      }),
      { class: 'recordings' },
    ) : h('p', { class: 'empty' }, 'No recording.'));
  }

  const later = debounce(() => refresh().catch(() => {}), 200);
  const off = on('bus', (event) => event.event === 'recordingStatusChanged' && later());
  await refresh();
  return off;
}

function play(player, recording, src) {
  const video = h('video', { controls: true, preload: 'metadata', src, dataset: { recording: recording.id } });
  player.replaceChildren(h('h3', {}, `Playing ${recording.id}`), video);
  video.play().catch(() => {});
}
