// Headless Firefox for the suites that check a page in a second engine: the
// system browser (Debian's `firefox-esr`, or FIREFOX_BIN) driven by
// puppeteer-core over WebDriver BiDi, the protocol stock Firefox speaks
// (Playwright's Firefox needs a patched build that cannot be had here).
// puppeteer-core downloads no browser. The prefs give Firefox a fake camera
// and microphone without a permission prompt, keep ICE on loopback with real
// host addresses (no mDNS names), and let media play without a gesture, as
// lib/browser.js's flags do for Chromium.

import { existsSync } from 'node:fs';
import puppeteer from 'puppeteer-core';

const CANDIDATES = ['/usr/bin/firefox-esr', '/usr/bin/firefox'];

export const FIREFOX_PREFS = {
  'media.navigator.streams.fake': true,
  // Camera and microphone allowed for every site (a granted permission, not a skipped prompt): Firefox
  // gathers every host address, loopback included, only for a page with capture permission.
  'permissions.default.camera': 1,
  'permissions.default.microphone': 1,
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.autoplay.default': 0,
};

export function firefoxBinary() {
  if (process.env.FIREFOX_BIN) return process.env.FIREFOX_BIN;
  return CANDIDATES.find((candidate) => existsSync(candidate));
}

/** Launches headless Firefox; throws a readable error when there is none. */
export async function launchFirefox() {
  const executablePath = firefoxBinary();
  if (!executablePath) {
    throw new Error(`no Firefox found (looked at ${CANDIDATES.join(', ')}); install Debian's firefox-esr or set FIREFOX_BIN`);
  }
  return puppeteer.launch({ browser: 'firefox', executablePath, headless: true, extraPrefsFirefox: FIREFOX_PREFS, timeout: 60_000 });
}
