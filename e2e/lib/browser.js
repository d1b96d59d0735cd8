// Headless Chromium for the media tests: the system browser (Debian's
// `chromium`, or CHROMIUM_BIN) driven by playwright-core, which downloads no
// browser of its own. Pages come from a tiny static HTTP server on
// 127.0.0.1 port 0 serving e2e/pages/ (loopback http is a secure context, so
// getUserMedia works without TLS). The camera and microphone are Chromium's
// fake devices, and the flags keep ICE on loopback with real host addresses
// (no mDNS names).

import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const PAGES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'pages');
const CANDIDATES = ['/usr/bin/chromium', '/usr/lib/chromium/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export const CHROMIUM_ARGS = [
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--no-sandbox',
  '--autoplay-policy=no-user-gesture-required',
  // Containers often have a tiny /dev/shm; Chromium then crashes renderers without this.
  '--disable-dev-shm-usage',
  // A busy 2-core VM must not make Chromium slow down the pages' timers or media.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

export function chromiumBinary() {
  if (process.env.CHROMIUM_BIN) return process.env.CHROMIUM_BIN;
  return CANDIDATES.find((candidate) => existsSync(candidate));
}

/** Launches headless Chromium; throws a readable error when there is none. */
export async function launchChromium() {
  const executablePath = chromiumBinary();
  if (!executablePath) {
    throw new Error(`no Chromium found (looked at ${CANDIDATES.join(', ')}); install Debian's chromium or set CHROMIUM_BIN`);
  }
  // Playwright runs new headless mode by default for a full Chromium binary.
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 60_000 });
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

/** Serves e2e/pages/ on 127.0.0.1 (port 0). Resolves {url, close()}. */
export async function servePages() {
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname).replace(/^\/+/, '') || 'index.html';
    const file = path.join(PAGES_DIR, name);
    if (!file.startsWith(PAGES_DIR + path.sep) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
    res.end(readFileSync(file));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * One WebRTC peer: a page (in its own browser context) running pages/peer.js.
 * Its local ICE candidates go to the callback set with `onCandidate` (null
 * ends gathering); everything else is an evaluate on the page's `peer` API.
 */
export class PeerPage {
  static async open(browser, baseUrl, name) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const peer = new PeerPage(name, context, page);
    page.on('console', (message) => peer.note(`console.${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => peer.note(`page error: ${error.message}`));
    page.on('crash', () => peer.note('page crashed'));
    await page.exposeFunction('plenumLocalCandidate', (candidate) => peer.candidateCallback(candidate));
    await page.goto(`${baseUrl}/peer.html`);
    await page.waitForFunction(() => typeof window.peer === 'object');
    return peer;
  }

  constructor(name, context, page) {
    this.name = name;
    this.context = context;
    this.page = page;
    this.log = [];
    this.candidateCallback = () => {};
  }

  note(line) {
    this.log.push(`${new Date().toISOString().slice(11, 23)} [${this.name}] ${line}`);
    if (this.log.length > 500) this.log.splice(0, 250);
  }

  onCandidate(callback) {
    this.candidateCallback = callback;
  }

  /** getUserMedia (fake camera and microphone), a sendonly audio+video offer; resolves the SDP. */
  publishOffer() {
    return this.page.evaluate(() => window.peer.publishOffer());
  }

  /** A recvonly audio+video offer; resolves the SDP. */
  subscribeOffer() {
    return this.page.evaluate(() => window.peer.subscribeOffer());
  }

  setAnswer(sdp) {
    return this.page.evaluate((answer) => window.peer.setAnswer(answer), sdp);
  }

  addIceCandidate(candidate) {
    return this.page.evaluate((c) => window.peer.addIceCandidate(c), candidate);
  }

  /** {ice, connection, signaling, gathering} states of the RTCPeerConnection. */
  state() {
    return this.page.evaluate(() => window.peer.state());
  }

  /** {audio, video}: the inbound-rtp counters (packetsReceived, framesDecoded, ...), or null. */
  inbound() {
    return this.page.evaluate(() => window.peer.inbound());
  }

  /** {audio, video}: the outbound-rtp counters (packetsSent, framesEncoded, ...), or null. */
  outbound() {
    return this.page.evaluate(() => window.peer.outbound());
  }

  /** The peer's own record of what happened (state changes, candidates). */
  history() {
    return this.page.evaluate(() => window.peer.history).catch((error) => [`(history unavailable: ${error.message})`]);
  }

  close() {
    return this.context.close().catch(() => {});
  }
}
