// Small DOM helpers shared by the pages: elements, tables, buttons that run an
// action and report its failure, and dates.

/** `h('td', {class: 'x'}, 'text', child)`: an element; `on*` attributes become listeners. */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** A table with a header row; `rows` are arrays of cells (strings or nodes). */
export function table(columns, rows, attrs = {}) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      attrs,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', {}, c)))),
      h('tbody', {}, rows.map((row) => h('tr', row.attrs ?? {}, row.cells.map((cell) => h('td', {}, cell))))),
    ),
  );
}

/** Shows a message for a few seconds (and keeps it in the page's log, for tests and operators). */
export function notify(message, kind = 'info') {
  const area = document.getElementById('notices');
  if (!area) return;
  const notice = h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  area.prepend(notice);
  setTimeout(() => notice.remove(), 8000);
}

/** A button that runs `action` once per click, disabled while it runs; a failure is shown. */
export function button(label, action, attrs = {}) {
  const element = h('button', { type: 'button', ...attrs }, label);
  element.addEventListener('click', async () => {
    if (attrs.confirm && !confirm(attrs.confirm)) return;
    element.disabled = true;
    try {
      const done = await action();
      if (typeof done === 'string') notify(done);
    } catch (error) {
      notify(`${label}: ${error.message}`, 'error');
    } finally {
      element.disabled = false;
    }
  });
  return element;
}

export function time(ms) {
  if (!ms) return '—';
  return new Date(ms).toLocaleString();
}

export function seconds(s) {
  if (s === undefined || s === null) return '—';
  const total = Math.round(s);
  const m = Math.floor(total / 60);
  return m ? `${m} min ${total % 60} s` : `${total} s`;
}

export function bytes(n) {
  if (!n) return '0 B';
  const units = ['B', 'KB', 'MB', 'GB'];
  const i = Math.min(units.length - 1, Math.floor(Math.log(n) / Math.log(1024)));
  return `${(n / 1024 ** i).toFixed(i ? 1 : 0)} ${units[i]}`;
}

/** Calls `fn` at most once per `ms`, after the last call (a burst of events → one refresh). */
export function debounce(fn, ms = 150) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
