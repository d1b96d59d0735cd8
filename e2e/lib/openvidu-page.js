// One OpenVidu participant in headless Chromium: a page (in its own browser
// context, so its own fake camera and websocket) running pages/openvidu.js on
// top of the unmodified openvidu-browser 2.32.2 browser build from npm. The
// build (node_modules/openvidu-browser/static/js/openvidu-browser-2.32.2.js)
// is handed to the page by a Playwright route at vendor/..., so
// lib/browser.js's static server stays as it is.

import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
export const OPENVIDU_BROWSER_VERSION = require('openvidu-browser/package.json').version;
const BUNDLE_NAME = `openvidu-browser-${OPENVIDU_BROWSER_VERSION}.js`;
export const OPENVIDU_BROWSER_BUNDLE = path.join(
  path.dirname(require.resolve('openvidu-browser/package.json')),
  'static',
  'js',
  BUNDLE_NAME,
);

const POLL_MS = 250;

export class OpenViduPage {
  /** Opens pages/openvidu.html in a new context of `browser`; `baseUrl` is servePages()'s url. */
  static async open(browser, baseUrl, name) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const participant = new OpenViduPage(name, context, page);
    page.on('console', (message) => participant.note(`console.${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => participant.note(`page error: ${error.message}`));
    page.on('crash', () => participant.note('page crashed'));
    page.on('dialog', (dialog) => {
      participant.note(`dialog ${dialog.type()}: ${dialog.message()}`);
      dialog.dismiss().catch(() => {});
    });
    await page.route(`**/vendor/${BUNDLE_NAME}`, (route) =>
      route.fulfill({ path: OPENVIDU_BROWSER_BUNDLE, contentType: 'text/javascript; charset=utf-8' }),
    );
    await page.goto(`${baseUrl}/openvidu.html`);
    await page.waitForFunction(() => typeof window.OpenVidu === 'function' && typeof window.ovTest === 'object');
    return participant;
  }

  constructor(name, context, page) {
    this.name = name;
    this.context = context;
    this.page = page;
    /** Console lines and page errors, newest last. */
    this.console = [];
    /** The last event log read from the page (kept for diagnostics once the page is gone). */
    this.lastEvents = [];
    this.closed = false;
    this.frozen = false;
    /** What join() and publish() resolved. */
    this.connectionId = undefined;
    this.streamId = undefined;
  }

  note(line) {
    this.console.push(`${new Date().toISOString().slice(11, 23)} [${this.name}] ${line}`);
    if (this.console.length > 400) this.console.splice(0, 200);
  }

  /** Connects with `token` and clientData `name`; resolves {connectionId, data, role}. */
  async join(token, clientName = this.name) {
    const own = await this.page.evaluate(([t, n]) => window.ovTest.join(t, n), [token, clientName]);
    this.connectionId = own.connectionId;
    return own;
  }

  /** Publishes the fake camera and microphone; resolves {streamId}. */
  async publish() {
    const { streamId } = await this.page.evaluate(() => window.ovTest.publish());
    this.streamId = streamId;
    return { streamId };
  }

  /** The page's later offers leave out the video codec `mimeType` (e.g. `video/H264`). */
  refuseVideoCodec(mimeType) {
    return this.page.evaluate((type) => window.ovTest.refuseVideoCodec(type), mimeType);
  }

  unpublish() {
    return this.page.evaluate(() => window.ovTest.unpublish());
  }

  reconnectPublisher() {
    return this.page.evaluate(() => window.ovTest.reconnectPublisher());
  }

  reconnectSubscriber(streamId) {
    return this.page.evaluate((id) => window.ovTest.reconnectSubscriber(id), streamId);
  }

  unsubscribe(streamId) {
    return this.page.evaluate((id) => window.ovTest.unsubscribe(id), streamId);
  }

  /** `to`: connection ids, or undefined for everyone. */
  signal(to, type, data) {
    return this.page.evaluate(([t, ty, d]) => window.ovTest.signal(t ?? undefined, ty, d), [to ?? null, type, data]);
  }

  forceDisconnect(connectionId) {
    return this.page.evaluate((id) => window.ovTest.forceDisconnect(id), connectionId);
  }

  forceUnpublish(streamId) {
    return this.page.evaluate((id) => window.ovTest.forceUnpublish(id), streamId);
  }

  leave() {
    return this.page.evaluate(() => window.ovTest.leave());
  }

  /** The page's event log: [{at, source, event, ...data}]. */
  async events() {
    if (this.closed || this.frozen) return this.lastEvents;
    this.lastEvents = await this.page.evaluate(() => window.ovTest.events());
    return this.lastEvents;
  }

  /** {subscribers: {streamId: {connectionId, ice, video, audio}}, publisher}. */
  stats() {
    return this.page.evaluate(() => window.ovTest.stats());
  }

  /**
   * Polls the event log until an entry matches `predicate`; resolves it.
   * Fails after `timeoutMs` with `what` and the page's log.
   */
  async waitForEvent(predicate, { what, timeoutMs = 15_000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.events()).find(predicate);
      if (found) return found;
      if (Date.now() >= deadline) {
        throw new Error(
          `[${this.name}] ${what ?? 'event'} not seen within ${timeoutMs} ms; events:\n${formatEvents(this.lastEvents)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /**
   * Stops the page's JavaScript (the DevTools debugger pauses it at the next
   * statement, at the latest openvidu-browser's next 5 s ping timer) while its
   * websocket stays open: the client goes silent without closing anything, as
   * when its network drops. The page cannot be evaluated any more; close() still works.
   */
  async freeze({ timeoutMs = 10_000 } = {}) {
    await this.events();
    const cdp = await this.context.newCDPSession(this.page);
    let timer;
    const paused = new Promise((resolve, reject) => {
      cdp.once('Debugger.paused', resolve);
      timer = setTimeout(() => reject(new Error(`[${this.name}] the debugger did not pause the page within ${timeoutMs} ms`)), timeoutMs);
    });
    this.frozen = true;
    await cdp.send('Debugger.enable');
    await cdp.send('Debugger.pause');
    await paused.finally(() => clearTimeout(timer));
    this.note('paused by the debugger');
  }

  /** Closes the browser context: the page goes away without leaving the session. */
  async close() {
    if (this.closed) return;
    if (!this.frozen) await this.events().catch(() => {});
    this.closed = true;
    await this.context.close().catch(() => {});
  }

  /** The event log and console tail, for failure messages. */
  async diagnostics(consoleLines = 40) {
    await this.events().catch((error) => this.note(`(events unavailable: ${error.message})`));
    return [
      `--- page ${this.name} (connection ${this.connectionId ?? '-'}, stream ${this.streamId ?? '-'}${this.closed ? ', closed' : ''}${this.frozen ? ', frozen (events as of the freeze)' : ''}): events ---`,
      formatEvents(this.lastEvents),
      `--- page ${this.name}: console (last ${consoleLines}) ---`,
      ...this.console.slice(-consoleLines),
    ].join('\n');
  }
}

export function formatEvents(events) {
  if (!events.length) return '  (none)';
  return events
    .map(({ at, source, event, ...data }) => `  ${at.toFixed(3)}s ${source}.${event} ${JSON.stringify(data)}`)
    .join('\n');
}
