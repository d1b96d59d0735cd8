// openvidu-browser 2.13.0 in headless Chromium: a page (pages/openvidu-2.13.html
// + pages/openvidu-2.13.js) on the unmodified browser build of the npm package
// openvidu-browser@2.13.0, installed under the alias `openvidu-browser-2-13`
// (node_modules/openvidu-browser-2-13/static/js/openvidu-browser-2.13.0.js) and
// handed to the page by a Playwright route at vendor/..., as lib/openvidu-page.js
// does for 2.32.2. The page offers the same window.ovTest calls as the 2.32 one,
// so the OpenViduPage driver (events, waitForEvent, stats, diagnostics, ...) is
// reused as it is; only opening the page differs.
//
// openvidu-browser 2.13 always connects to wss://<token host>/openvidu, so the
// master runs with TLS and its self-signed certificate: launchChromiumForTls()
// starts Chromium as lib/browser.js does, plus --ignore-certificate-errors.

import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumBinary } from './browser.js';
import { OpenViduPage } from './openvidu-page.js';

const require = createRequire(import.meta.url);
export const OPENVIDU_BROWSER_2_13_VERSION = require('openvidu-browser-2-13/package.json').version;
const BUNDLE_NAME = `openvidu-browser-${OPENVIDU_BROWSER_2_13_VERSION}.js`;
export const OPENVIDU_BROWSER_2_13_BUNDLE = path.join(
  path.dirname(require.resolve('openvidu-browser-2-13/package.json')),
  'static',
  'js',
  BUNDLE_NAME,
);

/** Chromium as lib/browser.js launches it, also accepting the master's self-signed certificate (wss://). */
export async function launchChromiumForTls() {
  const executablePath = chromiumBinary();
  if (!executablePath) {
    throw new Error('no Chromium found; install Debian\'s chromium or set CHROMIUM_BIN');
  }
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, '--ignore-certificate-errors'], timeout: 60_000 });
}

/**
 * The user agent of a desktop Chrome of the same version. openvidu-browser 2.13
 * bundles platform.js 1.3.5, which does not know "HeadlessChrome" and names the
 * headless browser "Safari"; 2.13 then publishes the Safari way (its tracks plus
 * two extra sendonly transceivers, four m-lines) instead of the Chrome way.
 */
export function desktopChromeUserAgent(browser) {
  return `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${browser.version()} Safari/537.36`;
}

export class OpenVidu213Page extends OpenViduPage {
  /**
   * Opens pages/openvidu-2.13.html in a new context of `browser` (with the user
   * agent of desktop Chrome, see desktopChromeUserAgent); `baseUrl` is servePages()'s url.
   */
  static async open(browser, baseUrl, name) {
    const context = await browser.newContext({ userAgent: desktopChromeUserAgent(browser) });
    const page = await context.newPage();
    const participant = new OpenVidu213Page(name, context, page);
    page.on('console', (message) => participant.note(`console.${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => participant.note(`page error: ${error.message}`));
    page.on('crash', () => participant.note('page crashed'));
    page.on('dialog', (dialog) => {
      participant.note(`dialog ${dialog.type()}: ${dialog.message()}`);
      dialog.dismiss().catch(() => {});
    });
    await page.route(`**/vendor/${BUNDLE_NAME}`, (route) =>
      route.fulfill({ path: OPENVIDU_BROWSER_2_13_BUNDLE, contentType: 'text/javascript; charset=utf-8' }),
    );
    await page.goto(`${baseUrl}/openvidu-2.13.html`);
    await page.waitForFunction(() => typeof window.OpenVidu === 'function' && typeof window.ovTest === 'object');
    return participant;
  }
}
