// Config: the active configuration (GET /openvidu/api/config) and a form that
// restarts the master with new values (POST /openvidu/api/restart), showing
// the validation errors the master answers with.
import { rest } from '/inspector/assets/rest.js';
import { h, notify } from '/inspector/assets/dom.js';

export async function mount(container) {
  const current = h('div');
  const errors = h('p', { class: 'error', role: 'alert', id: 'restart-errors' });
  const form = h('form', { class: 'card restart' });
  container.append(h('h2', {}, 'Config'), current, h('h3', {}, 'Restart with new values'), form);

  async function refresh() {
    const config = await rest('GET', '/config');
    const [status] = await Promise.all([rest('GET', '/status').catch(() => null)]);
    const rows = Object.entries(config).sort(([a], [b]) => a.localeCompare(b));
    current.replaceChildren(
      status ? h('p', { class: 'summary', id: 'restart-counter' }, `Restarts so far: ${status.restartCounter ?? 0}`) : '',
      h('div', { class: 'table-wrap' }, h('table', { class: 'config' }, h('tbody', {},
        rows.map(([k, v]) => h('tr', { dataset: { key: k } }, h('th', {}, k), h('td', {}, typeof v === 'object' ? JSON.stringify(v) : String(v))))))),
    );
    return config;
  }

  const config = await refresh();
  const key = h('select', { name: 'key' }, Object.keys(config).sort().map((k) => h('option', { value: k }, k)));
  const value = h('input', { name: 'value', placeholder: 'new value' });
  const changes = new Map();
  const pending = h('ul', { class: 'pending' });
  const showPending = () => pending.replaceChildren(...[...changes].map(([k, v]) => h('li', {}, `${k} = ${JSON.stringify(v)}`)));
  key.addEventListener('change', () => {
    const v = config[key.value];
    value.value = typeof v === 'object' ? JSON.stringify(v) : String(v ?? '');
  });
  key.dispatchEvent(new Event('change'));
  form.append(
    h('label', {}, 'Property ', key), h('label', {}, 'Value ', value),
    h('button', { type: 'button', onclick: () => { changes.set(key.value, parse(value.value)); showPending(); } }, 'Add change'),
    pending,
    h('button', { type: 'submit', class: 'danger' }, 'Restart with these values'),
    errors,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.textContent = '';
    // What the inputs hold now counts too (and replaces an earlier value of the same property).
    if (value.value !== '') changes.set(key.value, parse(value.value));
    try {
      await rest('POST', '/restart', Object.fromEntries(changes));
      changes.clear();
      showPending();
      notify('Restarted with the new configuration');
      await refresh();
    } catch (error) {
      errors.textContent = error.message;
    }
  });
}

/** A typed value: JSON when it parses (numbers, booleans, arrays), else the text. */
function parse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
