// What the Inspector suites share, whatever browser drives the dashboard:
// the servers (a master with recording and the CDR on, a second real
// plenum-media-node added by URI), the openvidu-browser participants in
// headless Chromium, and the checks every page must pass (no sideways
// scrolling). inspector.test.js drives the dashboard in Chromium
// (playwright-core), inspector-firefox.test.js in Firefox ESR (puppeteer-core
// over WebDriver BiDi); both make their participants here.

import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { is } from './page-events.js';
import { startPlenum, tempDir } from './plenum.js';
import { startMediaNode } from './media-node.js';
import { OpenViduPage } from './openvidu-page.js';

export const INSPECTOR_SECRET = 'e2e-secret-inspector';
export const SESSIONS = '/openvidu/api/sessions';
export const MEDIA_NODES = '/openvidu/api/media-nodes';

/**
 * Starts the master (recording, CDR, a config file for restarts, a cluster folder) and a second media
 * node, added by URI. With `autodiscover`, the cluster's autodiscover script names that node.
 * Resolves {plenum, node, nodeId, configFile, stop()}.
 */
export async function startInspectorCluster({ prefix, autodiscover = false }) {
  const root = tempDir(`${prefix}-`);
  const clusterDir = tempDir(`${prefix}-cluster-`);
  const configFile = path.join(root, 'plenum.env');
  writeFileSync(configFile, '# written by an Inspector e2e test\n');
  const plenum = await startPlenum({
    // The restart writes its values here (never into the working directory).
    PLENUM_CONFIG: configFile,
    OPENVIDU_SECRET: INSPECTOR_SECRET,
    OPENVIDU_RECORDING: 'true',
    OPENVIDU_RECORDING_PATH: path.join(root, 'recordings'),
    OPENVIDU_CDR: 'true',
    OPENVIDU_CDR_PATH: path.join(root, 'cdr'),
    OPENVIDU_PRO_CLUSTER_PATH: clusterDir,
  });
  let node;
  try {
    node = await startMediaNode({ args: ['--recording-root', path.join(root, 'node')], env: { PLENUM_NODE_SECRET: INSPECTOR_SECRET } });
    if (autodiscover) {
      const script = path.join(clusterDir, 'autodiscover');
      writeFileSync(script, `#!/bin/sh\necho '[{"uri": "${node.uri}"}]'\n`);
      chmodSync(script, 0o755);
    }
    const added = await plenum.request('POST', MEDIA_NODES, { body: { uri: node.uri } });
    assert.equal(added.status, 200, added.text);
    return {
      plenum,
      node,
      nodeId: added.json.id,
      configFile,
      async stop() {
        await node.stop();
        await plenum.stop();
      },
    };
  } catch (error) {
    await node?.stop();
    await plenum.stop();
    throw error;
  }
}

/** A participant page in `browser` (Chromium) joined to `session` with a connection of `role`; pushed onto `participants`. */
export async function joinParticipant({ browser, pagesUrl, session, participants }, name, role) {
  const connection = await session.createConnection({ role, data: `server-${name}` });
  const page = await OpenViduPage.open(browser, pagesUrl, name);
  participants.push(page);
  await page.join(connection.token, name);
  return page;
}

/** Resolves once `viewer` plays `streamId`. */
export function playing(viewer, streamId, timeoutMs) {
  return viewer.waitForEvent(is('streamPlaying', { streamId }, 'subscriber'), { what: `${streamId} playing`, timeoutMs });
}

/**
 * How many pixels the document is wider than the window (run in the page: `page.evaluate(sidewaysOverflow)`);
 * 0 or less means no sideways scrolling.
 */
export function sidewaysOverflow() {
  return document.documentElement.scrollWidth - window.innerWidth;
}

/**
 * The elements that reach past the window's right edge, outermost first (run in the page), so that a
 * failing width check names what is too wide.
 */
export function tooWide() {
  const out = [];
  // Inside a box that scrolls or clips sideways, being wide is that box's business.
  const clipped = (element) => {
    for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== 'visible') return true;
    }
    return false;
  };
  for (const element of document.body.querySelectorAll('*')) {
    if (clipped(element)) continue;
    const right = element.getBoundingClientRect().right;
    if (right > window.innerWidth + 0.5 && out.length < 5) {
      out.push(`${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''}${element.className && typeof element.className === 'string' ? `.${element.className.trim().split(/\s+/).join('.')}` : ''} (right ${Math.round(right)})`);
    }
  }
  return out;
}
