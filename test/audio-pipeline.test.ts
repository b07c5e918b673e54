import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { packPieces, planChunks, splitAtSilences, toTrackSeconds, wordToTrack } from '../audio/chunks.ts';
import type { AudioChunk, ChunkPiece } from '../audio/chunks.ts';
import { decodeToPcm16k } from '../audio/decode.ts';
import { mixdownToMp3, waveformPeaks } from '../audio/mixdown.ts';
import { BACKGROUND_NICENESS } from '../audio/ffmpeg.ts';
import { MediaError, probeMedia } from '../audio/tracks.ts';
import type { MediaProbe } from '../audio/tracks.ts';
import { dailyRecordingKey, dailyTrackKey, parseTrackKey, trackOffsetSeconds } from '../platforms/daily/recordings.ts';
import { writeAudioTrack, writeVideoTrack } from '../platforms/daily/simulator/media.ts';
import { SpeechLibrary } from '../platforms/daily/simulator/speech.ts';
import { LocalFolderStorage } from '../storage/local-folder.ts';

// Real media, made the way the Daily simulator makes raw tracks (espeak-ng speech in WebM/Opus whose
// stream starts at the track's offset), checked with ffprobe and ffmpeg's own level meters.
//
// Recording timeline (12 s):  Alice's track 0–12 s, speaks from 1 s.
//                             Bob's track 3–12 s, speaks 3 s into it, i.e. from 6 s.
//                             Carol's track 1.5–12 s, never speaks.

const run = promisify(execFile);
const RECORDING_START_MS = Date.UTC(2026, 2, 2, 10, 0, 0);
const RECORDING_SECONDS = 12;

let dir: string;
let alice: { key: string; path: string; speech: { from: number; to: number } };
let bob: { key: string; path: string; speech: { from: number; to: number } };
let carol: { key: string; path: string };
let video: string;
let corrupt: string;
let empty: string;

async function ffprobeJson(path: string): Promise<any> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,sample_rate,channels,bit_rate:format=duration,bit_rate', '-of', 'json', path]);
  return JSON.parse(stdout);
}

/** Peak level in dB of [from, to) seconds of the file (−Infinity for digital silence). */
async function maxVolume(path: string, from: number, to: number): Promise<number> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-i', path, '-af', `atrim=${from}:${to},volumedetect`, '-f', 'null', '-']);
  const match = /max_volume: (-?[\d.]+|-inf) dB/.exec(stderr);
  return !match || match[1] === '-inf' ? -Infinity : Number(match[1]);
}

/** Where sound starts after each silence, in seconds from the file's first sample. */
async function soundStarts(path: string): Promise<number[]> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-i', path, '-af', 'silencedetect=n=-40dB:d=0.5', '-f', 'null', '-']);
  return [...stderr.matchAll(/silence_end: ([\d.]+)/g)].map((m) => Number(m[1]));
}

function ffmpegProcessesWriting(path: string): Promise<number[]> {
  return readdir('/proc').then(async (entries) => {
    const pids: number[] = [];
    for (const entry of entries.filter((e) => /^\d+$/.test(e))) {
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.startsWith('ffmpeg\0') && cmdline.includes(path)) pids.push(Number(entry));
    }
    return pids;
  });
}

/** A process's niceness (field 19 of /proc/<pid>/stat, counted after the command's closing parenthesis). */
async function niceness(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

const exists = (path: string) => access(path).then(() => true, () => false);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audio-pipeline-'));
  const storage = new LocalFolderStorage({ rootDir: join(dir, 'bucket'), publicBaseUrl: 'http://127.0.0.1', signingSecret: 'x' });
  const speech = new SpeechLibrary(dir);
  const recordingKey = dailyRecordingKey('sim-domain', 'standup-20260302100000', RECORDING_START_MS);
  const end = RECORDING_START_MS + RECORDING_SECONDS * 1000;

  async function track(startMs: number, clips: Array<{ text: string; voice: string; atMs: number }>) {
    const key = dailyTrackKey(recordingKey, randomUUID(), 'cam-audio', startMs);
    const placed = await Promise.all(clips.map(async (c) => ({ ...(await speech.speak(c.text, c.voice)), atMs: c.atMs })));
    await writeAudioTrack(storage, dir, { key, span: { fromMs: startMs, toMs: end }, streamOffsetMs: startMs - RECORDING_START_MS, clips: placed });
    const path = join(dir, `${key.split('/').pop()}.webm`);
    await pipeline((await storage.get(key)).body, createWriteStream(path));
    const speechSpan = placed[0] && { from: (placed[0].atMs - RECORDING_START_MS) / 1000, to: (placed[0].atMs - RECORDING_START_MS + placed[0].durationMs) / 1000 };
    return { key, path, speech: speechSpan };
  }

  const a = await track(RECORDING_START_MS, [{ text: 'Good morning. The release went out on time.', voice: 'en-us', atMs: RECORDING_START_MS + 1000 }]);
  const b = await track(RECORDING_START_MS + 3000, [{ text: 'Great, the tests were green all week.', voice: 'en-gb', atMs: RECORDING_START_MS + 6000 }]);
  const c = await track(RECORDING_START_MS + 1500, []);
  alice = { key: a.key, path: a.path, speech: a.speech! };
  bob = { key: b.key, path: b.path, speech: b.speech! };
  carol = { key: c.key, path: c.path };
  assert.ok(alice.speech.to < 5.5 && bob.speech.to < 11, `speech too long for the layout: ${JSON.stringify([alice.speech, bob.speech])}`);

  const videoKey = dailyTrackKey(recordingKey, randomUUID(), 'cam-video', RECORDING_START_MS);
  await writeVideoTrack(storage, dir, { key: videoKey, span: { fromMs: RECORDING_START_MS, toMs: end }, streamOffsetMs: 0 });
  video = join(dir, 'video.webm');
  await pipeline((await storage.get(videoKey)).body, createWriteStream(video));

  corrupt = join(dir, 'corrupt');
  await writeFile(corrupt, randomBytes(64 * 1024));
  empty = join(dir, 'empty');
  await writeFile(empty, '');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('track keys and probing', () => {
  it('parses Daily track keys, with or without an extension, and rejects others', () => {
    const key = 'monadical/test2-20251009192341/1760037914930-0c1f9ea4-6a8e-4d44-9a0e-41a1a1e3b9f1-cam-audio-1760037915265';
    assert.deepEqual(parseTrackKey(key), {
      recordingStartMs: 1760037914930, sessionId: '0c1f9ea4-6a8e-4d44-9a0e-41a1a1e3b9f1', mediaType: 'cam-audio', trackStartMs: 1760037915265,
    });
    assert.equal(parseTrackKey(`${key}.webm`)?.trackStartMs, 1760037915265);
    assert.equal(parseTrackKey(key.replace('cam-audio', 'cam-video'))?.mediaType, 'cam-video');
    assert.equal(parseTrackKey(key.replace('cam-audio', 'screen-audio'))?.mediaType, 'screen-audio');
    assert.equal(parseTrackKey('monadical/test2-20251009192341/1760037914930'), null);
    assert.equal(parseTrackKey('x/y/abc-0c1f9ea4-6a8e-4d44-9a0e-41a1a1e3b9f1-cam-audio-1'), null);
  });

  it('probes WebM/Opus tracks: codec, rate, channels, true length and stream start', async () => {
    const a = await probeMedia(alice.path);
    assert.equal(a.codec, 'opus');
    assert.equal(a.sampleRate, 48000);
    assert.equal(a.channels, 1);
    assert.ok(Math.abs(a.durationSeconds - RECORDING_SECONDS) < 0.1, `alice ${a.durationSeconds}`);
    assert.ok(Math.abs(a.startTimeSeconds) < 0.05, `alice start ${a.startTimeSeconds}`);
    const b = await probeMedia(bob.path);
    // The container's end time is 12 s; the track itself is 9 s long.
    assert.ok(Math.abs(b.durationSeconds - 9) < 0.1, `bob ${b.durationSeconds}`);
    assert.ok(Math.abs(b.startTimeSeconds - 3) < 0.05, `bob start ${b.startTimeSeconds}`);
  });

  it('places a track by its key, checked against the container', async () => {
    assert.deepEqual(trackOffsetSeconds(bob.key, await probeMedia(bob.path)), { offsetSeconds: 3, source: 'key' });
    assert.deepEqual(trackOffsetSeconds(carol.key, await probeMedia(carol.path)), { offsetSeconds: 1.5, source: 'key' });
    // Within the tolerance (Daily's containers are ~0.2 s off): no warning.
    assert.equal(trackOffsetSeconds(bob.key, { startTimeSeconds: 3.4 }).warning, undefined);
    // A container restarted at zero (remuxed): the key wins, and the disagreement is reported.
    const remuxed = trackOffsetSeconds(bob.key, { startTimeSeconds: 0 });
    assert.equal(remuxed.offsetSeconds, 3);
    assert.match(remuxed.warning ?? '', /differ by 3\.000 s; using the key/);
    const unnamed = trackOffsetSeconds('uploads/meeting.webm', { startTimeSeconds: 2.5 });
    assert.deepEqual([unnamed.offsetSeconds, unnamed.source], [2.5, 'container']);
    assert.ok(unnamed.warning);
  });

  it('reports corrupt, empty and audio-less media as final MediaErrors', async () => {
    const kinds: Array<[string, string]> = [[corrupt, 'corrupt'], [empty, 'empty'], [video, 'no-audio']];
    for (const [path, kind] of kinds) {
      await assert.rejects(probeMedia(path), (error: unknown) => error instanceof MediaError && error.kind === kind && error.retryable === false, kind);
      await assert.rejects(decodeToPcm16k(path, join(dir, `${kind}.wav`)), (error: unknown) => error instanceof MediaError && error.kind === kind, kind);
      assert.equal(await exists(join(dir, `${kind}.wav`)), false);
    }
  });
});

describe('decoding', () => {
  let aliceWav: string;
  let bobWav: string;

  before(async () => {
    aliceWav = join(dir, 'alice.wav');
    bobWav = join(dir, 'bob.wav');
    const fractions: number[] = [];
    await decodeToPcm16k(alice.path, aliceWav, { onProgress: (f) => fractions.push(f) });
    await decodeToPcm16k(bob.path, bobWav);
    assert.equal(fractions.at(-1), 1);
    assert.ok(fractions.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= fractions[i - 1]!)), JSON.stringify(fractions));
  });

  it('writes 16 kHz mono s16 WAV as long as the track, starting at the track start', async () => {
    for (const [wav, seconds] of [[aliceWav, 12], [bobWav, 9]] as const) {
      const info = await ffprobeJson(wav);
      assert.deepEqual([info.streams[0].codec_name, info.streams[0].sample_rate, info.streams[0].channels], ['pcm_s16le', '16000', 1]);
      assert.ok(Math.abs(Number(info.format.duration) - seconds) < 0.1, `${wav}: ${info.format.duration}`);
    }
    // Bob speaks 3 s into his own track: the WAV's time is the track's, not the recording's.
    const [bobSpeaks] = await soundStarts(bobWav);
    assert.ok(Math.abs(bobSpeaks! - 3) < 0.15, `bob speaks at ${bobSpeaks}`);
  });

  it('keeps a timestamp gap (a muted microphone) as silence instead of closing it up', async () => {
    const gapped = join(dir, 'gapped.webm');
    // Speech from 1 s; the packets after 1.5 s are stamped 2 s later, as a recorder does across a mute.
    await run('ffmpeg', ['-v', 'error', '-y', '-i', alice.path, '-af', "asetpts='if(gte(T,1.5),PTS+2/TB,PTS)'", '-c:a', 'libopus', '-b:a', '32k', gapped]);
    const wav = join(dir, 'gapped.wav');
    await decodeToPcm16k(gapped, wav);
    const info = await ffprobeJson(wav);
    assert.ok(Math.abs(Number(info.format.duration) - 14) < 0.15, `gapped: ${info.format.duration}`);
    assert.ok((await maxVolume(wav, 1.7, 3.4)) < -60, 'the gap decodes as silence');
    assert.ok((await maxVolume(wav, 3.6, 4.5)) > -30, 'speech resumes after the gap');
  });

  it('stops on abort: ffmpeg is killed and no file is left', async () => {
    const long = join(dir, 'long.flac');
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=mono', '-t', '1800', '-c:a', 'flac', long]);
    const out = join(dir, 'long.wav');
    const controller = new AbortController();
    let running: number[] = [];
    const decoding = decodeToPcm16k(long, out, {
      signal: controller.signal,
      onProgress: () => {
        if (controller.signal.aborted) return;
        void ffmpegProcessesWriting(out).then((pids) => {
          running = pids;
          controller.abort(new Error('cancelled by test'));
        });
      },
    });
    await assert.rejects(decoding, /cancelled by test/);
    assert.equal(running.length, 1, 'ffmpeg was running when aborted');
    assert.deepEqual(await ffmpegProcessesWriting(out), []);
    assert.equal(await exists(`/proc/${running[0]}`), false);
    assert.equal(await exists(out), false);
    assert.equal(await exists(`${out}.partial`), false);
    await rm(long);
  });

  describe('chunks', () => {
    let chunks: AudioChunk[];
    before(async () => {
      chunks = await splitAtSilences(aliceWav, { outDir: join(dir, 'chunks-alice') });
    });

    it('covers the speech and only the speech', async () => {
      assert.equal(chunks.length, 1, JSON.stringify(chunks));
      const [chunk] = chunks;
      assert.ok(chunk!.start <= alice.speech.from + 0.05 && chunk!.start >= alice.speech.from - 0.4, `starts ${chunk!.start}, speech ${alice.speech.from}`);
      assert.ok(chunk!.end >= alice.speech.to - 0.6 && chunk!.end <= alice.speech.to + 0.4, `ends ${chunk!.end}, speech ${alice.speech.to}`);
      assert.ok((await maxVolume(chunk!.wavPath, 0, 30)) > -30, 'the chunk holds speech');
      // What was left out is silent.
      assert.ok((await maxVolume(aliceWav, 0, chunk!.start)) < -50);
      assert.ok((await maxVolume(aliceWav, chunk!.end, 12)) < -50);
      const info = await ffprobeJson(chunk!.wavPath);
      assert.equal(info.streams[0].sample_rate, '16000');
      assert.ok(Math.abs(Number(info.format.duration) - (chunk!.end - chunk!.start)) < 0.01);
    });

    it('cuts long speech into pieces no longer than the limit, without gaps inside the speech', async () => {
      const pieces = await splitAtSilences(aliceWav, { outDir: join(dir, 'chunks-short'), maxChunkSeconds: 1 });
      assert.ok(pieces.length >= 2, JSON.stringify(pieces));
      for (const [i, piece] of pieces.entries()) {
        assert.equal(piece.index, i);
        assert.ok(piece.end - piece.start <= 1, JSON.stringify(piece));
        const seconds = Number((await ffprobeJson(piece.wavPath)).format.duration);
        assert.ok(Math.abs(seconds - (piece.end - piece.start)) < 0.01, `${piece.wavPath}: ${seconds}`);
        if (i > 0) assert.ok(piece.start >= pieces[i - 1]!.end, 'pieces do not overlap');
      }
      assert.equal(pieces[0]!.start, chunks[0]!.start);
      assert.equal(pieces.at(-1)!.end, chunks[0]!.end);
    });

    it('gives no chunks for a silent track', async () => {
      const wav = join(dir, 'carol.wav');
      await decodeToPcm16k(carol.path, wav);
      const outDir = join(dir, 'chunks-carol');
      assert.deepEqual(await splitAtSilences(wav, { outDir }), []);
      assert.equal(await exists(outDir), false);
    });

    it('packs a speaker\'s turns into one chunk, half a second of silence between them, and maps its times back to the track', async () => {
      // Three utterances with 4 s of silence around each (others speaking, in a meeting).
      const parts: string[] = [];
      const said = ['Good morning everyone.', 'The release went out on time.', 'Thanks, see you next week.'];
      for (const [i, text] of said.entries()) {
        const spoken = join(dir, `turn-${i}-espeak.wav`);
        const piece = join(dir, `turn-${i}.wav`);
        await run('espeak-ng', ['-v', 'en-us', '-w', spoken, text]);
        await run('sox', [spoken, '-r', '16000', '-c', '1', '-b', '16', piece, 'pad', '4', '0']);
        parts.push(piece);
      }
      const turns = join(dir, 'turns-joined.wav');
      await run('sox', [...parts, turns, 'pad', '0', '4']);
      const wav = join(dir, 'turns.wav');
      await run('ffmpeg', ['-loglevel', 'error', '-y', '-i', turns, '-ar', '16000', '-ac', '1', '-c:a', 'pcm_s16le', wav]);

      const [packed, ...more] = await splitAtSilences(wav, { outDir: join(dir, 'chunks-turns') });
      assert.equal(more.length, 0, 'one chunk');
      assert.equal(packed!.pieces.length, 3, JSON.stringify(packed));
      const [first, second, third] = packed!.pieces as [ChunkPiece, ChunkPiece, ChunkPiece];
      assert.equal(first.at, 0);
      const length = (p: { start: number; end: number }) => p.end - p.start;
      assert.ok(Math.abs(second.at - (length(first) + 0.5)) < 0.002 && Math.abs(third.at - (second.at + length(second) + 0.5)) < 0.002, JSON.stringify(packed!.pieces));
      assert.ok(second.start - first.end > 3, 'the silence between turns is cut out');
      const seconds = Number((await ffprobeJson(packed!.wavPath)).format.duration);
      assert.ok(Math.abs(seconds - packed!.durationSeconds) < 0.002 && Math.abs(seconds - (third.at + length(third))) < 0.002, `${seconds} s`);
      assert.equal(packed!.start, first.start);
      assert.equal(packed!.end, third.end);
      // Each piece holds its turn; the half seconds between them are silent.
      for (const p of packed!.pieces) assert.ok((await maxVolume(packed!.wavPath, p.at + 0.25, p.at + length(p) - 0.25)) > -30, `speech in ${JSON.stringify(p)}`);
      assert.ok((await maxVolume(packed!.wavPath, second.at - 0.45, second.at - 0.05)) < -60, 'silence between the first two');
      // The same audio, at the mapped times, in the track and in the chunk.
      assert.ok(Math.abs(toTrackSeconds(packed!.pieces, second.at + 0.7) - (second.start + 0.7)) < 1e-6);
      assert.equal(toTrackSeconds(packed!.pieces, second.at - 0.1), second.start, 'in the gap: the nearer edge');
      assert.equal(toTrackSeconds(packed!.pieces, second.at - 0.4), first.end);

      const unpacked = await splitAtSilences(wav, { outDir: join(dir, 'chunks-turns-apart'), packGapSeconds: null });
      assert.deepEqual(unpacked.map((c) => [c.start, c.end]), packed!.pieces.map((p) => [p.start, p.end]));
    });

    it('packs pieces up to the window and keeps a word inside the piece where it starts', () => {
      const piece = (start: number, end: number) => ({ start, end });
      assert.deepEqual(packPieces([piece(0, 10), piece(20, 30), piece(40, 50), piece(60, 70)], { maxChunkSeconds: 30, gapSeconds: 0.5 }), [[piece(0, 10), piece(20, 30)], [piece(40, 50), piece(60, 70)]]);
      assert.deepEqual(packPieces([piece(0, 9.75), piece(20, 29.75), piece(40, 49.5)], { maxChunkSeconds: 30, gapSeconds: 0.5 }), [[piece(0, 9.75), piece(20, 29.75), piece(40, 49.5)]]);
      assert.deepEqual(packPieces([piece(0, 30), piece(40, 41)], { maxChunkSeconds: 30, gapSeconds: 0.5 }), [[piece(0, 30)], [piece(40, 41)]]);
      assert.deepEqual(packPieces([], { maxChunkSeconds: 30, gapSeconds: 0.5 }), []);
      const pieces = [{ at: 0, start: 5, end: 7 }, { at: 2.5, start: 20, end: 23 }];
      assert.deepEqual(wordToTrack(pieces, 0.5, 1), { start: 5.5, end: 6 });
      assert.deepEqual(wordToTrack(pieces, 3, 3.5), { start: 20.5, end: 21 });
      // Across the gap: ends where its piece ends, not 13 s later.
      assert.deepEqual(wordToTrack(pieces, 1.8, 2.7), { start: 6.8, end: 7 });
      // Starting in the gap, nearer the second piece.
      assert.deepEqual(wordToTrack(pieces, 2.4, 2.9), { start: 20, end: 20.4 });
    });

    it('plans chunks from silences: long ones skipped, short ones preferred as cuts', () => {
      const plan = (silences: Array<{ start: number; end: number }>, duration: number, max = 30) =>
        planChunks(silences, duration, { maxChunkSeconds: max, minSilenceSeconds: 1 });
      assert.deepEqual(plan([{ start: 0, end: 60 }], 60), []);
      assert.deepEqual(plan([], 10), [{ start: 0, end: 10 }]);
      // Speech 2–5 s and 20–22 s: padded 0.2 s into the silences around.
      assert.deepEqual(plan([{ start: 0, end: 2 }, { start: 5, end: 20 }, { start: 22, end: 30 }], 30), [{ start: 1.8, end: 5.2 }, { start: 19.8, end: 22.2 }]);
      // 70 s of speech with short pauses at 25 s and 50 s: cut there.
      assert.deepEqual(plan([{ start: 24.9, end: 25.1 }, { start: 49.9, end: 50.1 }], 70), [{ start: 0, end: 25 }, { start: 25, end: 50 }, { start: 50, end: 70 }]);
      // 70 s without a pause: three even hard cuts.
      assert.deepEqual(plan([], 70), [{ start: 0, end: 23.333 }, { start: 23.333, end: 46.666 }, { start: 46.666, end: 70 }]);
      // A click between silences is not speech.
      assert.deepEqual(plan([{ start: 0, end: 3 }, { start: 3.05, end: 10 }], 10), []);
    });
  });
});

describe('mixdown', () => {
  let mp3: string;
  let probe: MediaProbe;
  const fractions: number[] = [];

  before(async () => {
    mp3 = join(dir, 'meeting.mp3');
    const inputs = await Promise.all([alice, bob, carol].map(async (t) => ({ path: t.path, offsetSeconds: trackOffsetSeconds(t.key, await probeMedia(t.path)).offsetSeconds })));
    await mixdownToMp3(inputs, mp3, { durationSeconds: RECORDING_SECONDS, onProgress: (f) => fractions.push(f) });
    probe = await probeMedia(mp3);
  });

  it('is a CBR MP3 exactly as long as the recording', async () => {
    const info = await ffprobeJson(mp3);
    assert.equal(info.streams[0].codec_name, 'mp3');
    assert.equal(info.streams[0].bit_rate, '64000');
    assert.ok(Math.abs(Number(info.format.duration) - RECORDING_SECONDS) <= 0.2, `mp3 lasts ${info.format.duration}`);
    assert.ok(Math.abs(probe.durationSeconds - RECORDING_SECONDS) <= 0.2);
    assert.equal(fractions.at(-1), 1);
  });

  it('puts each voice at its place on the recording timeline', async () => {
    assert.ok((await maxVolume(mp3, 0, alice.speech.from - 0.3)) < -45, 'quiet before Alice');
    assert.ok((await maxVolume(mp3, alice.speech.from + 0.1, alice.speech.to - 0.1)) > -25, 'Alice at 1 s');
    // Bob's speech is 3 s into his track; his track starts 3 s into the recording: 6 s, not 3 s.
    assert.ok((await maxVolume(mp3, alice.speech.to + 0.4, bob.speech.from - 0.3)) < -45, 'quiet between (Bob not at 3 s)');
    assert.ok((await maxVolume(mp3, bob.speech.from + 0.1, bob.speech.to - 0.1)) > -25, 'Bob at 6 s');
    assert.ok((await maxVolume(mp3, bob.speech.to + 0.4, RECORDING_SECONDS)) < -45, 'quiet after Bob');
    const [first, second] = await soundStarts(mp3);
    assert.ok(Math.abs(first! - alice.speech.from) < 0.15, `first sound at ${first}`);
    assert.ok(Math.abs(second! - bob.speech.from) < 0.15, `second sound at ${second}`);
  });

  it('pads to the recording length when the tracks end early, cuts when they run long, trims a negative offset', async () => {
    const padded = join(dir, 'padded.mp3');
    await mixdownToMp3([{ path: bob.path, offsetSeconds: 3 }], padded, { durationSeconds: 20 });
    assert.ok(Math.abs(Number((await ffprobeJson(padded)).format.duration) - 20) <= 0.2);
    const cut = join(dir, 'cut.mp3');
    await mixdownToMp3([{ path: alice.path, offsetSeconds: 0 }, { path: bob.path, offsetSeconds: 3 }], cut, { durationSeconds: 5 });
    assert.ok(Math.abs(Number((await ffprobeJson(cut)).format.duration) - 5) <= 0.2);
    // A track that started a second before the recording loses that second.
    const early = join(dir, 'early.mp3');
    await mixdownToMp3([{ path: bob.path, offsetSeconds: -1 }], early, { durationSeconds: 8 });
    const [speaks] = await soundStarts(early);
    assert.ok(Math.abs(speaks! - 2) < 0.15, `bob speaks at ${speaks}`);
  });

  it('draws a waveform of the requested size in 0..1 that follows the speech', async () => {
    const peaks = await waveformPeaks(mp3, { peaks: 120 });
    assert.equal(peaks.length, 120);
    assert.ok(peaks.every((p) => p >= 0 && p <= 1));
    const at = (seconds: number) => peaks[Math.floor((seconds / RECORDING_SECONDS) * 120)]!;
    assert.ok(at(0.3) < 0.01);
    assert.ok(Math.max(...peaks.slice(Math.ceil(alice.speech.from * 10), Math.floor(alice.speech.to * 10))) > 0.1);
    assert.ok(at((alice.speech.to + bob.speech.from) / 2) < 0.01);
    assert.ok(Math.max(...peaks.slice(Math.ceil(bob.speech.from * 10), Math.floor(bob.speech.to * 10))) > 0.1);
    assert.equal((await waveformPeaks(mp3)).length, 1000);
  });

  it('runs below normal CPU priority (speech recognition comes first on a busy machine)', async () => {
    const out = join(dir, 'niced.mp3');
    const controller = new AbortController();
    let seen: Promise<number[]> | undefined;
    const mixing = mixdownToMp3([{ path: alice.path, offsetSeconds: 0 }], out, {
      durationSeconds: 6 * 3600,
      signal: controller.signal,
      onProgress: (f) => {
        if (f > 0 && !seen) {
          seen = ffmpegProcessesWriting(`${out}.partial`).then((pids) => Promise.all(pids.map(niceness)));
          void seen.finally(() => controller.abort(new Error('seen')));
        }
      },
    });
    await assert.rejects(mixing, /seen/);
    assert.deepEqual(await seen, [getPriority() + BACKGROUND_NICENESS]);
  });

  it('stops on abort: ffmpeg is killed and no MP3 is left', async () => {
    const out = join(dir, 'aborted.mp3');
    const controller = new AbortController();
    const mixing = mixdownToMp3([{ path: alice.path, offsetSeconds: 0 }], out, {
      durationSeconds: 6 * 3600,
      signal: controller.signal,
      onProgress: (f) => {
        if (f > 0 && !controller.signal.aborted) controller.abort(new Error('cancelled by test'));
      },
    });
    await assert.rejects(mixing, /cancelled by test/);
    assert.deepEqual(await ffmpegProcessesWriting(out), []);
    assert.equal(await exists(out), false);
    assert.equal(await exists(`${out}.partial`), false);
  });
});
