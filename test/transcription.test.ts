// The transcription pipeline end to end on the real dev server, through the Daily simulator with espeak-ng
// speech and the product's default engines (Whisper in the worker's own process, extractive summary): one transcript
// per raw-tracks recording whose words are what each speaker said, inside the windows where that person spoke,
// exports, audio, waveform; the recognizer's process killed mid-transcript and the work retried; then a corrupt
// track, a silent participant, consent refused, and reprocessing without duplicates.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestProduct, type TestProduct } from './support/product.ts';
import { MeetingConsent, Recording, Transcript } from '../db/entities.ts';
import { meetingWorkflowId, type MeetingState } from '../meetings/messages.ts';
import { recordingWorkflowId, type RecordingWorkflowResult } from '../recordings/messages.ts';
import { parseTrackKey } from '../platforms/daily/recordings.ts';
import { parseWebVTT } from '../transcripts/exports.ts';
import { wordErrorRate } from '../speech/wer.ts';

const run = promisify(execFile);

describe('transcription pipeline', () => {
  let product: TestProduct;
  let meetingId: string;
  let rawRecordingId: string;
  let transcriptId: string;
  const spoke = new Map<string, Array<{ from: number; to: number }>>();
  let lastTranscriptText = '';

  before(async () => {
    product = await startTestProduct({ name: 'transcribe', env: { RECORDING_READY_TIMEOUT_SECONDS: '30', SPEECH_ENGINE: 'whisper' } });
  });
  after(() => product?.stop());

  it('turns a 3-person meeting into a speaker-attributed transcript with exports, audio and summary', { timeout: 300_000 }, async () => {
    const sim = product.daily;
    await product.request('POST', '/v1/rooms', { name: 'retro', recordingTrigger: 'automatic' });
    const meeting = (await product.request('POST', '/v1/rooms/retro/meetings')).body;
    meetingId = meeting.id;
    const people = {
      Alice: await sim.join(meeting.platformRoomName, { userName: 'Alice', userId: 'alice', owner: true, voice: 'en-us' }),
      Bob: await sim.join(meeting.platformRoomName, { userName: 'Bob', userId: 'bob', voice: 'en-gb' }),
      Carol: await sim.join(meeting.platformRoomName, { userName: 'Carol', userId: 'carol', voice: 'en-us+f3' }),
      Dave: await sim.join(meeting.platformRoomName, { userName: 'Dave', userId: 'dave' }), // never speaks
    };
    assert.equal((await product.request('POST', `/v1/meetings/${meeting.id}/recordings/start`, {})).body.status, 'recording');
    const lines: Array<[keyof typeof people, string]> = [
      ['Alice', 'Good morning everyone. Let us look back at the last sprint.'],
      ['Bob', 'The release went out on time and the tests were green.'],
      ['Carol', 'Next time we should start the review one day earlier.'],
    ];
    for (const [who, text] of lines) {
      const said = await sim.say(people[who].sessionId, { text });
      spoke.set(who, [...(spoke.get(who) ?? []), { from: said.atMs, to: said.atMs + said.durationMs }]);
      await sleep(said.durationMs + 800);
    }
    for (const who of Object.values(people)) await sim.leave(who.sessionId);

    const state: MeetingState = await product.services.temporal.workflow.getHandle(meetingWorkflowId(meeting.id)).result();
    const raw = state.recordings.filter((r) => r.kind === 'raw-tracks');
    assert.equal(raw.length, 1);
    rawRecordingId = raw[0]!.id;
    const result: RecordingWorkflowResult = await product.services.temporal.workflow.getHandle(recordingWorkflowId(rawRecordingId)).result();
    assert.equal(result.transcriptStatus, 'ended', JSON.stringify(result));
    transcriptId = result.transcriptId!;

    const transcript = (await product.request('GET', `/v1/transcripts/${transcriptId}`)).body;
    assert.equal(transcript.status, 'ended');
    assert.deepEqual(transcript.participants.map((p: { name: string }) => p.name).sort(), ['Alice', 'Bob', 'Carol', 'Dave']);
    assert.deepEqual(transcript.engines, { speech: 'whisper:whisper-base', summary: 'offline-extractive', offline: true });
    assert.ok(transcript.title);
    assert.ok(transcript.segments.length >= 3);

    // Each speaker's words fall inside the windows where that person spoke (whatever the recognizer heard).
    const recording = await product.services.db.em.fork().findOneOrFail(Recording, rawRecordingId);
    const recordingStartMs = parseTrackKey(recording.trackKeys![0]!)!.recordingStartMs;
    for (const segment of transcript.segments as Array<{ speakerName: string; start: number; end: number }>) {
      const windows = spoke.get(segment.speakerName);
      assert.ok(windows, `${segment.speakerName} never spoke but has a segment`);
      const inside = windows.some((w) => segment.start >= (w.from - recordingStartMs) / 1000 - 1 && segment.end <= (w.to - recordingStartMs) / 1000 + 1);
      assert.ok(inside, `${segment.speakerName} at ${segment.start}–${segment.end}s is outside ${JSON.stringify(windows.map((w) => [(w.from - recordingStartMs) / 1000, (w.to - recordingStartMs) / 1000]))}`);
    }
    assert.ok(!(transcript.segments as Array<{ speakerName: string }>).some((s) => s.speakerName === 'Dave'), 'the silent participant has no words');
    // The words are what each person said.
    for (const [who, said] of lines) {
      const heard = (transcript.segments as Array<{ speakerName: string; text: string }>).filter((s) => s.speakerName === who).map((s) => s.text).join(' ');
      const wer = wordErrorRate(said, heard);
      assert.ok(wer <= 0.2, `${who} said "${said}", the transcript has "${heard}" (WER ${wer.toFixed(2)})`);
    }
    lastTranscriptText = (transcript.segments as Array<{ text: string }>).map((s) => s.text).join(' ');

    // Searchable once ended: what Bob said is found, by him, at his turn, and links to that moment.
    const bobTurn = (transcript.segments as Array<{ speakerName: string; start: number; text: string }>).find((s) => s.speakerName === 'Bob' && /release/i.test(s.text));
    assert.ok(bobTurn, 'Bob\'s turn mentions the release');
    const found = (await product.request('GET', `/v1/search?q=${encodeURIComponent('release went out')}&speaker=bob`)).body;
    const hit = found.items.find((h: { transcriptId: string; kind: string }) => h.transcriptId === transcriptId && h.kind === 'turn');
    assert.ok(hit, JSON.stringify(found));
    assert.equal(hit.speakerName, 'Bob');
    assert.equal(hit.start, bobTurn.start);
    assert.equal(hit.link, `/transcripts/${transcriptId}?t=${Math.floor(bobTurn.start)}`);
    assert.ok(hit.snippet.some((part: { text: string; match: boolean }) => part.match && /release/i.test(part.text)), JSON.stringify(hit.snippet));

    // Exports.
    const vtt = await fetch(`${product.url}/v1/transcripts/${transcriptId}/export?format=vtt`, { headers: product.adminHeaders });
    assert.equal(vtt.status, 200);
    const cues = parseWebVTT(await vtt.text());
    assert.ok(cues.length >= 3);
    for (const format of ['srt', 'txt', 'txt-timestamps', 'json']) {
      assert.equal((await fetch(`${product.url}/v1/transcripts/${transcriptId}/export?format=${format}`, { headers: product.adminHeaders })).status, 200, format);
    }
    assert.equal((await product.request('GET', `/v1/transcripts/${transcriptId}/export?format=doc`)).status, 400);

    // The mixed-down MP3: duration matches the recording's; range requests work.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mp3-'));
    const mp3 = await fetch(`${product.url}/v1/transcripts/${transcriptId}/audio.mp3`, { headers: product.adminHeaders });
    assert.equal(mp3.headers.get('content-type'), 'audio/mpeg');
    const file = path.join(dir, 'audio.mp3');
    await writeFile(file, Buffer.from(await mp3.arrayBuffer()));
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]);
    assert.ok(Math.abs(Number(stdout) - recording.durationSeconds!) <= 1.5, `mp3 ${stdout} s vs recording ${recording.durationSeconds} s`);
    const partial = await fetch(`${product.url}/v1/transcripts/${transcriptId}/audio.mp3`, { headers: { ...product.adminHeaders, range: 'bytes=100-199' } });
    assert.equal(partial.status, 206);
    assert.equal((await partial.arrayBuffer()).byteLength, 100);
    const waveform = (await product.request('GET', `/v1/transcripts/${transcriptId}/waveform`)).body;
    assert.ok(waveform.peaks.length > 100);
  });

  it('survives the recognizer\'s process being killed mid-transcript: it is restarted and the track retried', { timeout: 240_000 }, async () => {
    const whisperPid = async () => {
      const { stdout } = await run('pgrep', ['-P', String(process.pid), '-f', 'speech/whisper/server.py']).catch(() => ({ stdout: '' }));
      return Number(stdout.trim().split('\n')[0]) || null;
    };
    const pid = await whisperPid();
    assert.ok(pid, 'the worker runs its whisper process');
    // Its port, from the socket table: its /health says how many recognitions are under way.
    const { stdout: sockets } = await run('ss', ['-ltnpH']);
    const port = new RegExp(`127\\.0\\.0\\.1:(\\d+) .*pid=${pid},`).exec(sockets)?.[1];
    assert.ok(port, `the whisper process's port in\n${sockets}`);
    const busy = async () => ((await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { busy: number }).busy;
    assert.equal((await product.request('POST', `/v1/recordings/${rawRecordingId}/reprocess`)).status, 202);
    const handle = product.services.temporal.workflow.getHandle(recordingWorkflowId(rawRecordingId));
    // Kill it while it is recognizing a chunk.
    const deadline = Date.now() + 60_000;
    while ((await busy()) === 0) {
      assert.ok(Date.now() < deadline, 'transcription never started');
      await sleep(20);
    }
    process.kill(pid, 'SIGKILL');
    const result: RecordingWorkflowResult = await handle.result();
    assert.equal(result.transcriptStatus, 'ended', JSON.stringify(result));
    assert.deepEqual(result.warnings, [], 'no track lost');
    const history = await handle.fetchHistory();
    const retried = history.events!.filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1);
    assert.ok(retried.length >= 1, 'a speech activity was retried');
    const restarted = await whisperPid();
    assert.ok(restarted && restarted !== pid, 'a new whisper process');
    const transcript = (await product.request('GET', `/v1/transcripts/${transcriptId}`)).body;
    assert.equal((transcript.segments as Array<{ text: string }>).map((s) => s.text).join(' '), lastTranscriptText, 'the same words as before');
  });

  it('ends with a warning when one track is corrupt, and reprocessing duplicates nothing', { timeout: 240_000 }, async () => {
    const em = product.services.db.em.fork();
    const recording = await em.findOneOrFail(Recording, rawRecordingId);
    const aliceTrack = recording.trackKeys![0]!;
    await product.services.storage.put(aliceTrack, Buffer.from('this is not a webm file at all'));
    const reprocess = await product.request('POST', `/v1/recordings/${rawRecordingId}/reprocess`);
    assert.equal(reprocess.status, 202);
    const result: RecordingWorkflowResult = await product.services.temporal.workflow.getHandle(recordingWorkflowId(rawRecordingId)).result();
    assert.equal(result.transcriptStatus, 'ended');
    assert.equal(result.transcriptId, transcriptId);
    assert.ok(result.warnings!.some((w) => /track 0/.test(w)), JSON.stringify(result.warnings));
    assert.equal(await em.count(Transcript, { recording: rawRecordingId }), 1);

    // Each rerun kept the content it replaced as a version: the one before this rerun has every word, the current
    // one lacks the corrupt track's, and what changed between them says so.
    const versions = (await product.request('GET', `/v1/transcripts/${transcriptId}/versions`)).body.items as Array<{ number: number; current: boolean; speechEngine: string | null }>;
    assert.deepEqual(versions.map((v) => [v.number, v.current]), [[1, false], [2, false], [3, true]], JSON.stringify(versions));
    assert.ok(versions.every((v) => v.speechEngine), 'each says which engine made it');
    const kept = (await product.request('GET', `/v1/transcripts/${transcriptId}/versions/2`)).body;
    assert.equal((kept.segments as Array<{ text: string }>).map((s) => s.text).join(' '), lastTranscriptText, 'version 2: the words before this rerun');
    const current = (await product.request('GET', `/v1/transcripts/${transcriptId}`)).body;
    const now = (await product.request('GET', `/v1/transcripts/${transcriptId}/versions/3`)).body;
    assert.deepEqual(now.segments, current.segments, 'the current version is what the transcript shows');
    const changes = (await product.request('GET', `/v1/transcripts/${transcriptId}/versions/3/changes`)).body;
    assert.equal(changes.from, 2);
    assert.ok(changes.wordsRemoved > 0 && changes.wordsAdded === 0, JSON.stringify(changes));
    const removed = (changes.parts as Array<{ change: string; text: string }>).filter((p) => p.change === 'removed').map((p) => p.text).join(' ');
    const removedWords = removed.split(/\s+/).filter((w) => w && !w.endsWith(':'));
    assert.ok(removedWords.length > 0, removed);
    for (const word of removedWords) assert.ok(lastTranscriptText.includes(word), `"${word}" was said before the rerun`);
    assert.equal((await product.request('GET', `/v1/transcripts/${transcriptId}/versions/4`)).status, 404);
    assert.equal((await product.request('GET', `/v1/transcripts/${transcriptId}/versions/1/changes`)).status, 404, 'nothing before the first');

    // A rerun in another language: refused for one Whisper does not know, else heard in it, the English one kept.
    const unknown = await product.request('POST', `/v1/recordings/${rawRecordingId}/reprocess`, { language: 'xx' });
    assert.equal(unknown.status, 400);
    assert.match(JSON.stringify(unknown.body), /language/);
    // …and for an engine this deployment does not run, naming the ones it does (here only the default).
    const speech = (await product.request('GET', '/v1/speech')).body;
    assert.deepEqual([speech.engine, speech.engines], ['whisper:whisper-base', ['whisper:whisper-base']]);
    const noEngine = await product.request('POST', `/v1/recordings/${rawRecordingId}/reprocess`, { engine: 'whisper:large-v3' });
    assert.equal(noEngine.status, 400);
    assert.match(noEngine.body.error.message, /engine "whisper:large-v3" is not a speech engine of this deployment \(whisper:whisper-base\)/);
    assert.equal((await product.request('POST', `/v1/recordings/${rawRecordingId}/reprocess`, { language: 'de', engine: 'whisper:whisper-base' })).status, 202);
    const german: RecordingWorkflowResult = await product.services.temporal.workflow.getHandle(recordingWorkflowId(rawRecordingId)).result();
    assert.equal(german.transcriptStatus, 'ended', JSON.stringify(german));
    assert.equal((await product.request('GET', `/v1/transcripts/${transcriptId}`)).body.language, 'de');
    const after = (await product.request('GET', `/v1/transcripts/${transcriptId}/versions`)).body.items as Array<{ number: number; current: boolean; language: string }>;
    assert.deepEqual(after.slice(-2).map((v) => [v.number, v.current, v.language]), [[3, false, 'en'], [4, true, 'de']]);
  });

  it('deletes the meeting\'s audio after transcription when a participant refused consent, keeping the transcript', { timeout: 240_000 }, async () => {
    const em = product.services.db.em.fork();
    em.create(MeetingConsent, { meeting: meetingId, participantKey: 'user:bob', consentGiven: false });
    await em.flush();
    await product.request('POST', `/v1/recordings/${rawRecordingId}/reprocess`);
    const result: RecordingWorkflowResult = await product.services.temporal.workflow.getHandle(recordingWorkflowId(rawRecordingId)).result();
    assert.equal(result.transcriptStatus, 'ended');
    const transcript = (await product.request('GET', `/v1/transcripts/${transcriptId}`)).body;
    assert.equal(transcript.audioDeleted, true);
    assert.equal(transcript.audio, null);
    assert.ok(transcript.segments.length > 0, 'the transcript is kept');
    const recording = await em.fork().findOneOrFail(Recording, rawRecordingId);
    for (const key of recording.trackKeys!) assert.equal(await product.services.storage.head(key), null, `${key} deleted`);
    assert.equal((await fetch(`${product.url}/v1/transcripts/${transcriptId}/audio.mp3`, { headers: product.adminHeaders })).status, 404);
    assert.equal((await fetch(`${product.url}/v1/meetings/${meetingId}/cloud-recording`, { redirect: 'manual', headers: product.adminHeaders })).status, 404);
  });
});
