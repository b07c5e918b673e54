import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { DailyPlatform } from '../platforms/daily/daily-platform.ts';
import { startDailySimulator } from '../platforms/daily/simulator/index.ts';
import type { DailySimulator } from '../platforms/daily/simulator/index.ts';
import type { PlatformRecording } from '../platforms/platform.ts';
import { LocalFolderStorage } from '../storage/local-folder.ts';
import { downloadObject, probeMedia, speechStarts } from './support/media-files.ts';

// The simulator writes real media with Daily's layout: checked with ffprobe and ffmpeg's silencedetect.

const run = promisify(execFile);
const TRACK_NAME = /^(\d+)-(.{36})-(cam-audio|cam-video)-(\d+)$/;

let dir: string;
let storage: LocalFolderStorage;
let sim: DailySimulator;
let raw: PlatformRecording;
let cloud: PlatformRecording;
let recordingStartMs: number;
let alice: string;
let bob: string;

const download = (key: string) => downloadObject(storage, key, dir);
const probe = probeMedia;

/** Peak level in dB of the stretch [from, to) seconds from the file's first sample. */
async function maxVolume(path: string, from: number, to: number): Promise<number> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-i', path, '-af', `atrim=${from}:${to},volumedetect`, '-f', 'null', '-']);
  const match = /max_volume: (-?[\d.]+|-inf) dB/.exec(stderr);
  return match?.[1] === '-inf' || !match ? -Infinity : Number(match[1]);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'daily-media-'));
  storage = new LocalFolderStorage({ rootDir: join(dir, 'bucket'), publicBaseUrl: 'http://127.0.0.1', signingSecret: 'x' });
  sim = await startDailySimulator({ apiKey: 'key', domain: 'sim-domain', storage, clock: { mode: 'virtual', startAt: new Date('2026-03-02T10:00:00.000Z') } });
  const platform = new DailyPlatform({ apiKey: 'key', baseUrl: sim.baseUrl, webhookSecret: 'c2VjcmV0' });
  await platform.createRoom({ name: 'media-room', expiresAt: new Date('2026-03-02T12:00:00Z'), recordingsBucket: { bucketName: 'local', bucketRegion: 'local' } });

  // t=0 Alice joins; t=1 both recordings start; t=3 Alice speaks; t=5 Bob joins; t=8 Bob speaks; t=15 stop.
  alice = (await sim.join('media-room', { userName: 'Alice' })).sessionId;
  await sim.advance(1_000);
  recordingStartMs = (await sim.clock()).nowMs;
  await platform.startRecording('media-room', { type: 'raw-tracks', instanceId: '6f0e5a8c-1d2b-4c3e-8f9a-0b1c2d3e4f50' });
  await platform.startRecording('media-room', { type: 'cloud', instanceId: '7a1f6b9d-2e3c-4d4f-9a0b-1c2d3e4f5061' });
  await sim.advance(2_000);
  await sim.say(alice, { text: 'Good morning, this is Alice with the weekly numbers.' });
  await sim.advance(2_000);
  bob = (await sim.join('media-room', { userName: 'Bob' })).sessionId;
  await sim.advance(3_000);
  await sim.say(bob, { text: 'Thanks Alice, Bob here.' });
  await sim.advance(7_000);
  await platform.stopRecording('media-room', { type: 'raw-tracks', instanceId: '6f0e5a8c-1d2b-4c3e-8f9a-0b1c2d3e4f50' });
  await platform.stopRecording('media-room', { type: 'cloud', instanceId: '7a1f6b9d-2e3c-4d4f-9a0b-1c2d3e4f5061' });
  await sim.whenIdle();
  const { recordings } = await platform.listRecordings({ roomName: 'media-room' });
  raw = recordings.find((r) => r.type === 'raw-tracks')!;
  cloud = recordings.find((r) => r.type === 'cloud')!;
});

after(async () => {
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('raw-tracks media', () => {
  it('uses Daily’s key layout: {domain}/{room}/{rec_start_ms}-{session}-{cam-audio|cam-video}-{track_start_ms}', () => {
    assert.equal(raw.objectKey, `sim-domain/media-room/${recordingStartMs}`);
    const parsed = raw.tracks!.map((track) => {
      assert.ok(track.key.startsWith('sim-domain/media-room/'));
      const match = TRACK_NAME.exec(track.key.split('/').at(-1)!);
      assert.ok(match, track.key);
      return { recordingStart: Number(match[1]), session: match[2], media: match[3], trackStart: Number(match[4]) };
    });
    assert.deepEqual(parsed, [
      { recordingStart: recordingStartMs, session: alice, media: 'cam-audio', trackStart: recordingStartMs },
      { recordingStart: recordingStartMs, session: alice, media: 'cam-video', trackStart: recordingStartMs },
      // Bob joined 4 s into the recording: his tracks start then.
      { recordingStart: recordingStartMs, session: bob, media: 'cam-audio', trackStart: recordingStartMs + 4_000 },
      { recordingStart: recordingStartMs, session: bob, media: 'cam-video', trackStart: recordingStartMs + 4_000 },
    ]);
  });

  it('writes Opus in WebM whose stream starts at the track offset and lasts until the recording stopped', async () => {
    const audio = raw.tracks!.filter((t) => t.type === 'audio');
    for (const [track, offsetSeconds, lengthSeconds] of [[audio[0]!, 0, 14], [audio[1]!, 4, 10]] as const) {
      const path = await download(track.key);
      assert.equal((await storage.head(track.key))?.size, track.size);
      const { streams, format } = await probe(path);
      assert.equal(format.format_name, 'matroska,webm');
      assert.deepEqual(streams.map((s) => s.codec_name), ['opus']);
      const start = Number(streams[0]!.start_time);
      assert.ok(Math.abs(start - offsetSeconds) < 0.05, `start_time ${start} ≈ ${offsetSeconds}`);
      const length = Number(format.duration) - start;
      assert.ok(Math.abs(length - lengthSeconds) < 0.1, `length ${length} ≈ ${lengthSeconds}`);
    }
  });

  it('places each participant’s speech at its moment within their own track, and only there', async () => {
    const [aliceAudio, , bobAudio] = raw.tracks!;
    // Alice spoke 2 s into her track (t=3, track from t=1); Bob 3 s into his (t=8, track from t=5).
    const aliceStarts = await speechStarts(await download(aliceAudio!.key));
    assert.ok(Math.abs(aliceStarts[0]! - 2) < 0.15, `Alice starts ${aliceStarts.join(', ')}`);
    const bobStarts = await speechStarts(await download(bobAudio!.key));
    assert.ok(Math.abs(bobStarts[0]! - 3) < 0.15, `Bob starts ${bobStarts.join(', ')}`);
    // While Bob speaks (t=8.2–9), Alice's track is silent and his is not.
    assert.ok((await maxVolume(await download(aliceAudio!.key), 7.2, 8)) < -60, 'Bob is not in Alice’s track');
    assert.ok((await maxVolume(await download(bobAudio!.key), 3.2, 4)) > -30, 'Bob is in his own track');
  });

  it('writes a small VP8 WebM per session for the camera', async () => {
    for (const track of raw.tracks!.filter((t) => t.type === 'video')) {
      const { streams, format } = await probe(await download(track.key));
      assert.equal(format.format_name, 'matroska,webm');
      assert.deepEqual(streams.map((s) => s.codec_name), ['vp8']);
      assert.ok(track.size < 20_000, `video track is ${track.size} bytes`);
    }
  });
});

describe('cloud media', () => {
  it('writes one H.264/AAC MP4 at {domain}/{room}/{rec_start_ms} with both voices mixed', async () => {
    assert.equal(cloud.objectKey, `sim-domain/media-room/${recordingStartMs}`);
    const path = await download(cloud.objectKey);
    const { streams, format } = await probe(path);
    assert.match(format.format_name, /mp4/);
    assert.deepEqual(streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    assert.ok(Math.abs(Number(format.duration) - 14) < 0.2, `duration ${format.duration}`);
    const starts = await speechStarts(path);
    assert.ok(starts.some((s) => Math.abs(s - 2) < 0.2), `Alice at 2 s: ${starts.join(', ')}`);
    assert.ok(starts.some((s) => Math.abs(s - 7) < 0.2), `Bob at 7 s: ${starts.join(', ')}`);
  });
});
