// Fetching recorded files the way an application does: the Recording's `url`
// with HTTP Basic auth (OPENVIDUAPP:<secret>), over http or https (a
// self-signed certificate is accepted for these loopback requests only), with
// an optional Range header; and requests whose path is sent exactly as given
// (for traversal attempts, which URL parsers would normalise away). Also the
// checks shared by the recording tests: a downloaded file's streams, its
// duration against the Recording's, a picture that is not blank, and sound.

import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { audioLevel, BLANK_LUMA_VARIANCE, describe, lumaStats } from './media-probe.js';

/**
 * GET `url` (absolute) or `rawPath` on `origin`; resolves {status, headers, body: Buffer}.
 * `auth`: the secret for Basic auth, or null for none. `headers`: extra request headers.
 */
export function fetchFile({ url, origin, rawPath, auth = null, headers = {} }) {
  const target = url ? new URL(url) : new URL(origin);
  const transport = target.protocol === 'https:' ? https : http;
  const requestHeaders = { ...headers };
  if (auth !== null) requestHeaders.Authorization = 'Basic ' + Buffer.from(`OPENVIDUAPP:${auth}`).toString('base64');
  const options = {
    host: target.hostname,
    port: target.port,
    method: 'GET',
    // node:http sends `path` as it is: no normalisation of `..` or percent-escapes.
    path: rawPath ?? target.pathname + target.search,
    headers: requestHeaders,
    rejectUnauthorized: false,
    agent: false,
  };
  return new Promise((resolve, reject) => {
    const req = transport.request(options, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`GET ${options.path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Downloads a ready Recording's `url` with auth into `dir`; resolves the file's path. */
export async function download(recording, secret, dir) {
  assert.ok(recording.url, `recording ${recording.id} has a url`);
  const res = await fetchFile({ url: recording.url, auth: secret });
  assert.equal(res.status, 200, `GET ${recording.url}`);
  assert.equal(res.body.length, recording.size, `the downloaded ${recording.url} has the Recording's size`);
  const file = path.join(dir, `${recording.id.replace(/[^A-Za-z0-9_-]/g, '_')}-${path.basename(new URL(recording.url).pathname)}`);
  writeFileSync(file, res.body);
  return file;
}

/**
 * Asserts what a recorded file holds. `expect`: {duration (s, ±1), video?: {codec, width, height} or false,
 * audio?: {codec} or false, regions?: [{x, y, w, h, what}] crops of the frame that must not be blank}.
 * Resolves the file's description.
 */
export async function assertMedia(file, expect) {
  const info = await describe(file);
  const name = path.basename(file);
  if (expect.video === false) assert.equal(info.video, undefined, `${name} has no video stream`);
  else if (expect.video) {
    assert.ok(info.video, `${name} has a video stream: ${JSON.stringify(info)}`);
    assert.equal(info.video.codec, expect.video.codec, `${name}: video codec`);
    if (expect.video.width) assert.equal(info.video.width, expect.video.width, `${name}: width`);
    if (expect.video.height) assert.equal(info.video.height, expect.video.height, `${name}: height`);
  }
  if (expect.audio === false) assert.equal(info.audio, undefined, `${name} has no audio stream`);
  else if (expect.audio) {
    assert.ok(info.audio, `${name} has an audio track: ${JSON.stringify(info)}`);
    assert.equal(info.audio.codec, expect.audio.codec, `${name}: audio codec`);
    // Chromium's fake microphone beeps: the track is not silence.
    const level = await audioLevel(file);
    assert.ok(level.max > -50, `${name}: the audio is not silent (peak ${level.max} dBFS)`);
  }
  if (expect.duration !== undefined) {
    assert.ok(
      Math.abs(info.duration - expect.duration) <= 1,
      `${name} lasts ${info.duration} s, expected ${expect.duration} s ± 1 s`,
    );
  }
  if (info.video) {
    // A frame from the middle: the fake camera's picture, not black or a flat colour.
    const at = info.duration / 2;
    const whole = await lumaStats(file, at);
    assert.ok(whole.variance > BLANK_LUMA_VARIANCE, `${name}: the frame at ${at} s is not blank (luma variance ${whole.variance})`);
    for (const region of expect.regions ?? []) {
      const crop = await lumaStats(file, at, region);
      assert.ok(
        crop.variance > BLANK_LUMA_VARIANCE,
        `${name}: ${region.what} (${region.w}x${region.h}+${region.x}+${region.y}) at ${at} s is not blank (luma variance ${crop.variance})`,
      );
    }
  }
  return info;
}
