// The live feed: one EventSource on /inspector/api/live for the whole page.
// `bus` events are the master's event bus (the webhook body of each event),
// `load` events the node load samples, `stats` the streams' WebRTC figures; EventSource reconnects by itself (after
// a restart the next generation's feed takes over).

const listeners = { bus: new Set(), load: new Set(), stats: new Set(), ready: new Set() };
let source = null;

export function connect() {
  if (source) return;
  source = new EventSource('/inspector/api/live');
  for (const kind of Object.keys(listeners)) {
    source.addEventListener(kind, (message) => {
      const data = JSON.parse(message.data);
      for (const listener of listeners[kind]) listener(data);
    });
  }
  const status = () => {
    const dot = document.getElementById('live-status');
    if (dot) {
      dot.dataset.state = source.readyState === EventSource.OPEN ? 'open' : 'connecting';
      dot.title = dot.dataset.state === 'open' ? 'Live updates on' : 'Reconnecting…';
    }
  };
  source.addEventListener('open', status);
  source.addEventListener('error', status);
  source.addEventListener('ready', status);
}

/** Calls `listener(data)` for each `kind` event until the returned function is called. */
export function on(kind, listener) {
  listeners[kind].add(listener);
  return () => listeners[kind].delete(listener);
}
