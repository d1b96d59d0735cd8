// Records what plenum-loadtest --shared-room publishes into a plenum-media-node, over the Kurento
// protocol, the way the master's recording service does (docs/recording.md): for MODE composed a
// Composite (BEST_FIT, WIDTHxHEIGHT@FPS) with one input HubPort fed from each publisher's PassThrough and
// an output HubPort feeding an MP4 RecorderEndpoint; for MODE individual a WEBM RecorderEndpoint fed from
// the (first) publisher's PassThrough. Prints "RECORDING" once `record` answered, stops with stopAndWait on
// SIGTERM/SIGINT, then prints "STOPPED <getStats JSON>" and exits 0.
//
// Usage: node bench/recording/node-recorder.mjs --uri ws://127.0.0.1:PORT/kurento --mode composed|individual
//        --out DIR [--width 1280 --height 720 --fps 25]
import { parseArgs } from 'node:util';
import path from 'node:path';
import { KurentoClient } from '../../e2e/lib/kurento.js';

const { values } = parseArgs({
  options: {
    uri: { type: 'string' },
    mode: { type: 'string', default: 'composed' },
    out: { type: 'string' },
    width: { type: 'string', default: '1280' },
    height: { type: 'string', default: '720' },
    fps: { type: 'string', default: '25' },
  },
});
const kurento = await KurentoClient.connect(values.uri);
const pipelines = await kurento.invoke('manager_ServerManager', 'getPipelines');
if (pipelines.length !== 1) throw new Error(`expected the loadtest's one pipeline, found ${JSON.stringify(pipelines)}`);
const [pipeline] = pipelines;
const children = await kurento.invoke(pipeline, 'getChildren');
const passThroughs = children.filter((id) => id.endsWith('PassThrough'));
if (passThroughs.length === 0) throw new Error(`no PassThrough in ${pipeline}: ${JSON.stringify(children)}`);

const made = [];
let recorder;
if (values.mode === 'composed') {
  const composite = await kurento.create('Composite', {
    mediaPipeline: pipeline,
    layout: 'BEST_FIT',
    width: Number(values.width),
    height: Number(values.height),
    frameRate: Number(values.fps),
  });
  made.push(composite);
  for (const passThrough of passThroughs) {
    const input = await kurento.create('HubPort', { hub: composite });
    made.push(input);
    await kurento.invoke(passThrough, 'connect', { sink: input });
  }
  const output = await kurento.create('HubPort', { hub: composite });
  made.push(output);
  recorder = await kurento.create('RecorderEndpoint', {
    mediaPipeline: pipeline,
    uri: `file://${path.resolve(values.out, 'bench.mp4')}`,
    mediaProfile: 'MP4',
  });
  await kurento.invoke(output, 'connect', { sink: recorder });
} else {
  recorder = await kurento.create('RecorderEndpoint', {
    mediaPipeline: pipeline,
    uri: `file://${path.resolve(values.out, 'bench.webm')}`,
    mediaProfile: 'WEBM',
  });
  await kurento.invoke(passThroughs[0], 'connect', { sink: recorder });
}
made.push(recorder);
await kurento.subscribe(recorder, 'Error');
await kurento.invoke(recorder, 'record');
console.log(`RECORDING ${passThroughs.length} input(s)`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await kurento.invoke(recorder, 'stopAndWait', {}, { timeoutMs: 20_000 });
  const stats = await kurento.invoke(recorder, 'getStats').catch((e) => ({ error: e.message }));
  const errors = kurento.events.filter((e) => e.type === 'Error');
  for (const id of made.reverse()) await kurento.release(id).catch(() => {});
  console.log(`STOPPED ${JSON.stringify({ stats, errors })}`);
  await kurento.close();
  process.exit(errors.length ? 3 : 0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setInterval(() => {}, 1 << 30);
