// What is in a recorded file, read with Debian's ffprobe and ffmpeg: its
// streams (codecs, resolution, frame rate), its duration, whether a decoded
// video frame shows a picture (the luma variance of a real camera image, even
// Chromium's fake one, is far above that of a black or uniform frame), and
// how loud its audio is. Also a small reader for the .zip of an INDIVIDUAL
// recording (stored or deflated entries, ZIP64 sizes included).
//
// Used by the recording tests (e2e/recording*.test.js) and bench/recording.sh
// (through `node e2e/lib/media-probe.js <file>`).

import { execFile } from 'node:child_process';
import { inflateRawSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

/** Luma variance below this is a blank frame (black, or one flat colour with codec noise). */
export const BLANK_LUMA_VARIANCE = 25;

function run(command, args, { maxBuffer = 64 * 1024 * 1024, encoding = 'utf8' } = {}) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer, encoding }, (error, stdout, stderr) => {
      if (error) {
        error.message += `\n${command} ${args.join(' ')}\n${String(stderr).slice(-2000)}`;
        reject(error);
      } else resolve({ stdout, stderr: String(stderr) });
    });
  });
}

const number = (value) => (value === undefined || value === 'N/A' || value === '' ? undefined : Number(value));

/** `ffprobe -show_format -show_streams` as JSON. */
export async function ffprobe(file) {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file]);
  return JSON.parse(stdout);
}

/** "30000/1001" → 29.97; "0/0" → undefined. */
function rate(text) {
  if (!text) return undefined;
  const [n, d] = text.split('/').map(Number);
  return d ? n / d : undefined;
}

/**
 * The end of the last packet of any stream, in seconds: the duration of a file whose
 * container does not say it (a WebM written live, without a Duration element).
 */
export async function lastPacketEnd(file) {
  const { stdout } = await run('ffprobe', [
    '-v', 'error', '-show_entries', 'packet=pts_time,duration_time', '-of', 'csv=p=0', file,
  ]);
  let end = 0;
  for (const line of stdout.split('\n')) {
    const [pts, duration] = line.split(',').map(number);
    if (Number.isFinite(pts)) end = Math.max(end, pts + (Number.isFinite(duration) ? duration : 0));
  }
  return end;
}

/**
 * {duration, containerDuration, format, video?: {codec, width, height, fps}, audio?: {codec, sampleRate, channels}}.
 * `duration` is the container's when it has one, else the end of the last packet.
 */
export async function describe(file) {
  const probe = await ffprobe(file);
  const video = probe.streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const audio = probe.streams.find((s) => s.codec_type === 'audio');
  const containerDuration = number(probe.format?.duration);
  return {
    format: probe.format?.format_name,
    containerDuration,
    duration: Number.isFinite(containerDuration) ? containerDuration : await lastPacketEnd(file),
    video: video && {
      codec: video.codec_name,
      width: video.width,
      height: video.height,
      fps: rate(video.avg_frame_rate) ?? rate(video.r_frame_rate),
    },
    audio: audio && { codec: audio.codec_name, sampleRate: number(audio.sample_rate), channels: audio.channels },
  };
}

/**
 * Decodes the video frame at `atSeconds` as 8-bit grey and returns
 * {width, height, pixels, mean, variance} of its luma; with `crop` {x, y, w, h},
 * of that rectangle only.
 */
export async function lumaStats(file, atSeconds, crop) {
  const info = await describe(file);
  if (!info.video) throw new Error(`${file} has no video stream`);
  const { width, height } = info.video;
  const filter = crop ? ['-vf', `crop=${crop.w}:${crop.h}:${crop.x}:${crop.y}`] : [];
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-ss', String(atSeconds), '-i', file, ...filter, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'],
    { encoding: 'buffer' },
  );
  // A decoder may hand over a frame of another size than the stream header says (a resolution change): trust the bytes.
  const pixels = stdout.length;
  if (pixels === 0) throw new Error(`no frame decoded from ${file} at ${atSeconds} s`);
  let sum = 0;
  for (let i = 0; i < pixels; i++) sum += stdout[i];
  const mean = sum / pixels;
  let squares = 0;
  for (let i = 0; i < pixels; i++) squares += (stdout[i] - mean) ** 2;
  return { width, height, pixels, mean, variance: squares / pixels };
}

/** The peak and mean volume of the audio, in dBFS (`volumedetect`); -91 is digital silence. */
export async function audioLevel(file) {
  const { stderr } = await run('ffmpeg', ['-v', 'info', '-nostats', '-i', file, '-map', '0:a:0', '-af', 'volumedetect', '-f', 'null', '-']);
  const read = (name) => Number(new RegExp(`${name}: (-?[0-9.]+|-inf) dB`).exec(stderr)?.[1].replace('-inf', '-Infinity'));
  return { mean: read('mean_volume'), max: read('max_volume') };
}

/** Frames of the first video stream (decoded count, `-count_frames`). */
export async function videoFrames(file) {
  const { stdout } = await run('ffprobe', [
    '-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file,
  ]);
  return Number(stdout.trim());
}

/**
 * The entries of a .zip (stored or deflated), from its central directory: [{name, data}].
 * Enough for the archives of INDIVIDUAL recordings: ZIP64 sizes and offsets are read (a writer may use
 * them for any file); no encryption, no multi-disk archives.
 */
export function readZip(buffer) {
  const EOCD = 0x06054b50;
  const MAX32 = 0xffffffff;
  let eocd = -1;
  for (let i = buffer.length - 22; i >= Math.max(0, buffer.length - 22 - 65535); i--) {
    if (buffer.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
  let count = buffer.readUInt16LE(eocd + 10);
  let at = buffer.readUInt32LE(eocd + 16);
  // ZIP64: the locator just before the end record points at the ZIP64 end record.
  if ((count === 0xffff || at === MAX32) && eocd >= 20 && buffer.readUInt32LE(eocd - 20) === 0x07064b50) {
    const record = Number(buffer.readBigUInt64LE(eocd - 20 + 8));
    if (buffer.readUInt32LE(record) !== 0x06064b50) throw new Error('bad ZIP64 end of central directory');
    count = Number(buffer.readBigUInt64LE(record + 32));
    at = Number(buffer.readBigUInt64LE(record + 48));
  }
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (buffer.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory entry at ${at}`);
    const method = buffer.readUInt16LE(at + 10);
    let compressed = buffer.readUInt32LE(at + 20);
    let size = buffer.readUInt32LE(at + 24);
    const nameLength = buffer.readUInt16LE(at + 28);
    const extraLength = buffer.readUInt16LE(at + 30);
    const commentLength = buffer.readUInt16LE(at + 32);
    let local = buffer.readUInt32LE(at + 42);
    const name = buffer.toString('utf8', at + 46, at + 46 + nameLength);
    // The ZIP64 extra field (id 1) holds, in this order, the 8-byte values of the fields that are 0xFFFFFFFF.
    for (let x = at + 46 + nameLength; x + 4 <= at + 46 + nameLength + extraLength; ) {
      const id = buffer.readUInt16LE(x);
      const length = buffer.readUInt16LE(x + 2);
      if (id === 1) {
        let v = x + 4;
        if (size === MAX32) (size = Number(buffer.readBigUInt64LE(v))), (v += 8);
        if (compressed === MAX32) (compressed = Number(buffer.readBigUInt64LE(v))), (v += 8);
        if (local === MAX32) local = Number(buffer.readBigUInt64LE(v));
      }
      x += 4 + length;
    }
    if (buffer.readUInt32LE(local) !== 0x04034b50) throw new Error(`bad local header of ${name}`);
    const start = local + 30 + buffer.readUInt16LE(local + 26) + buffer.readUInt16LE(local + 28);
    const raw = buffer.subarray(start, start + compressed);
    let data;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) data = inflateRawSync(raw);
    else throw new Error(`${name}: compression method ${method} is not supported`);
    if (data.length !== size) throw new Error(`${name}: ${data.length} bytes, the directory says ${size}`);
    entries.push({ name, data });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

// `node e2e/lib/media-probe.js FILE [SECONDS]`: the description and the luma of the frame at SECONDS
// (default: the middle) as one JSON line, for scripts.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, at] = process.argv.slice(2);
  const info = await describe(file);
  const luma = info.video ? await lumaStats(file, at ?? info.duration / 2) : undefined;
  console.log(JSON.stringify({ ...info, luma }));
}
