// Cluster: the media-node table with its actions (add by URI or launch,
// autodiscover, drain / undrain / terminate, delete with a deletion strategy)
// and a load chart per node over the last hour, fed by the live feed's samples.
import { rest, inspector } from '/inspector/assets/rest.js';
import { h, table, button, time, debounce } from '/inspector/assets/dom.js';
import { on } from '/inspector/assets/live.js';
import { timeChart } from '/inspector/assets/charts.js';

const NODES = '/media-nodes';
/** The gentlest first: a slip of the mouse never cuts a live session. */
const STRATEGIES = ['when-no-sessions', 'if-no-sessions', 'now'];
/** The deletion strategy chosen per node, kept when the table is drawn again. */
const chosen = new Map();

export async function mount(container) {
  const uri = h('input', { name: 'uri', placeholder: 'ws://host:8888/kurento', size: 32 });
  const settings = h('p', { class: 'summary' });
  const tableArea = h('div');
  const charts = h('div', { class: 'charts' });
  container.append(
    h('h2', {}, 'Cluster'),
    settings,
    h('div', { class: 'actions' },
      uri,
      button('Add media node', async () => {
        if (!uri.value.trim()) throw new Error('Type the node\'s ws:// URI first');
        const node = await rest('POST', `${NODES}?wait=true`, { uri: uri.value.trim() });
        uri.value = '';
        refresh();
        return `Media node ${node.id} added`;
      }),
      button('Launch media node', async () => {
        const node = await rest('POST', `${NODES}?wait=true`, {});
        refresh();
        return `Media node ${node.id} launched`;
      }),
      button('Autodiscover', async () => {
        const found = await rest('PUT', NODES);
        refresh();
        return `Autodiscovery found ${found?.numberOfElements ?? 0} new nodes`;
      })),
    tableArea,
    h('h3', {}, 'Load over the last hour'),
    charts,
  );

  const chartsByNode = new Map();
  function chartFor(id) {
    if (!chartsByNode.has(id)) {
      const box = h('div', { class: 'chart', dataset: { node: id } });
      charts.append(box);
      chartsByNode.set(id, timeChart(box, `${id} load (%)`, ['load'], { yRange: [0, 100] }));
    }
    return chartsByNode.get(id);
  }

  async function refresh() {
    const [nodes, config] = await Promise.all([rest('GET', `${NODES}?sessions=true`), rest('GET', '/config')]);
    settings.textContent = `Cluster ${config.OPENVIDU_PRO_CLUSTER_ID ?? ''} · environment ${config.OPENVIDU_PRO_CLUSTER_ENVIRONMENT ?? '—'} · mode ${config.OPENVIDU_PRO_CLUSTER_MODE ?? '—'} · load strategy ${config.OPENVIDU_PRO_CLUSTER_LOAD_STRATEGY ?? '—'}`;
    const list = nodes.content ?? [];
    tableArea.replaceChildren(table(
      ['ID', 'Environment ID', 'IP', 'URI', 'Connected', 'Connection time', 'Sessions', 'Load', 'Status', 'Actions'],
      list.map((n) => ({ attrs: { dataset: { node: n.id } }, cells: [
        n.id, n.environmentId ?? '—', n.ip ?? '—', n.uri ?? '—', n.connected ? 'yes' : 'no', time(n.connectionTime),
        String(n.sessions?.length ?? 0), `${Number(n.load ?? 0).toFixed(1)} %`, h('span', { class: `status ${n.status}` }, n.status),
        nodeActions(n, refresh),
      ] })),
      { class: 'nodes' },
    ));
    for (const n of list) chartFor(n.id);
  }

  const history = await inspector('node-load');
  for (const [id, samples] of Object.entries(history.nodes ?? {})) {
    const chart = chartFor(id);
    for (const s of samples) chart.push(s.t, [s.load]);
  }
  const offLoad = on('load', (sample) => {
    for (const [id, load] of Object.entries(sample.loads)) chartFor(id).push(sample.t, [load]);
  });
  const later = debounce(() => refresh().catch(() => {}), 200);
  const offBus = on('bus', (event) => ['mediaNodeStatusChanged', 'nodeCrashed', 'nodeRecovered', 'sessionCreated', 'sessionDestroyed'].includes(event.event) && later());
  await refresh();
  return () => {
    offLoad();
    offBus();
    for (const chart of chartsByNode.values()) chart.destroy();
  };
}

function nodeActions(node, refresh) {
  const path = `${NODES}/${encodeURIComponent(node.id)}`;
  const status = (value, label) => button(label, async () => {
    await rest('PATCH', path, { status: value });
    refresh();
    return `${node.id}: ${value}`;
  }, { class: 'small' });
  const strategy = h('select', { name: 'deletion-strategy', 'aria-label': 'Deletion strategy' },
    STRATEGIES.map((s) => h('option', { value: s, selected: chosen.get(node.id) === s }, s)));
  strategy.addEventListener('change', () => chosen.set(node.id, strategy.value));
  return h('span', { class: 'actions' },
    node.status === 'running' ? status('waiting-idle-to-terminate', 'Drain') : null,
    node.status === 'waiting-idle-to-terminate' ? status('running', 'Undrain') : null,
    ['running', 'waiting-idle-to-terminate'].includes(node.status) ? status('terminating', 'Terminate') : null,
    strategy,
    button('Delete', async () => {
      await rest('DELETE', `${path}?deletion-strategy=${strategy.value}`);
      refresh();
      return `${node.id}: deletion (${strategy.value}) requested`;
    }, { class: 'danger small' }));
}
