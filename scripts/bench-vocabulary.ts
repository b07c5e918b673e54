// npm run bench:vocabulary — does a room's vocabulary make Whisper spell its terms right?
//
// 12 sentences, each with two terms Whisper has not learnt (invented product names, tools, jargon), spoken by
// espeak-ng in two voices (en-us, en-gb), recognized by the product's default engine (Whisper base, as the worker
// builds it) three ways: (a) nothing told, (b) the meeting's participants only (the product before room
// vocabularies), (c) the room's vocabulary and the participants, the prompt the product sends ("Terms: …
// Participants: …", speech/recognizer.ts speechPrompt). Counted: terms spelled right (the term's normalised word in
// the hypothesis) and the sentences' WER. Appends a section to docs/benchmarks.md unless --no-doc.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { normalizeForWer, werCount, werOf } from '../speech/wer.ts';
import { defaultWhisper } from '../test/support/speech.ts';
import { appendBenchmarkSection, machineDescription } from './benchmarks-doc.ts';

const run = promisify(execFile);
const { values } = parseArgs({ options: { 'no-doc': { type: 'boolean', default: false } } });

const SENTENCES: Array<[string, [string, string]]> = [
  ['We store the drafts in PGlite and ship them with Kubectl.', ['PGlite', 'Kubectl']],
  ['The Zorbex dashboard shows every Quenzo job.', ['Zorbex', 'Quenzo']],
  ['Ask Temporalio support about the Nexium rollout.', ['Temporalio', 'Nexium']],
  ['Our Velaris cluster runs the Okapi service.', ['Velaris', 'Okapi']],
  ['Marta moved the Brivo invoices into Tallyon last week.', ['Brivo', 'Tallyon']],
  ['The Kestrelly build failed because Grafix was down.', ['Kestrelly', 'Grafix']],
  ['Please file the Ombrix bug against the Saphir release.', ['Ombrix', 'Saphir']],
  ['Our customers in Lundqvist use the Pravo mobile app.', ['Lundqvist', 'Pravo']],
  ['The Fennix team will demo Quillby on Thursday.', ['Fennix', 'Quillby']],
  ['We pay for Dravix seats but nobody opens Moxley.', ['Dravix', 'Moxley']],
  ['Send the Ziltra report to the Corvane board.', ['Ziltra', 'Corvane']],
  ['The Yarrowby sensors upload to Nimbra every hour.', ['Yarrowby', 'Nimbra']],
];
const VOICES = ['en-us', 'en-gb'];
const PARTICIPANTS = ['Alice', 'Bob'];

const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-vocabulary-'));
const whisper = defaultWhisper();
const started = performance.now();
try {
  await whisper.start();
  const clips = [];
  for (const voice of VOICES) {
    for (const [i, [said, terms]] of SENTENCES.entries()) {
      const raw = path.join(dir, `${voice}-${i}-espeak.wav`);
      const wav = path.join(dir, `${voice}-${i}.wav`);
      await run('espeak-ng', ['-v', voice, '-w', raw, said]);
      await run('ffmpeg', ['-loglevel', 'error', '-y', '-i', raw, '-ar', '16000', '-ac', '1', '-c:a', 'pcm_s16le', wav]);
      const { stdout } = await run('soxi', ['-D', wav]);
      clips.push({ said, terms, wav, durationSeconds: Number(stdout.trim()) });
    }
  }
  const ways = [
    { key: '(a)', how: 'nothing told', options: {} },
    { key: '(b)', how: 'the participants only (before room vocabularies)', options: { participantNames: PARTICIPANTS } },
    { key: '(c)', how: "the room's vocabulary and the participants (the product's prompt)", options: { participantNames: PARTICIPANTS, vocabulary: [] as string[] } },
  ];
  const rows = [];
  for (const way of ways) {
    let right = 0;
    const counts = [];
    for (const clip of clips) {
      const options = way.key === '(c)' ? { ...way.options, vocabulary: [...clip.terms] } : way.options;
      const words = await whisper.transcribe({ wavPath: clip.wav, durationSeconds: clip.durationSeconds }, { language: 'en', ...options });
      const heard = words.map((w) => w.text).join(' ');
      const normalised = normalizeForWer(heard);
      right += clip.terms.filter((t) => normalised.includes(normalizeForWer(t)[0]!)).length;
      counts.push(werCount(clip.said, heard));
    }
    const total = clips.length * 2;
    rows.push({ ...way, right, total, wer: werOf(counts) });
    console.log(`${way.key} ${way.how}: ${right} of ${total} terms right, WER ${werOf(counts).toFixed(3)}`);
  }
  const seconds = (performance.now() - started) / 1000;
  if (!values['no-doc']) {
    await appendBenchmarkSection('Room vocabulary', [
      `- Command: \`npm run bench:vocabulary\` (${seconds.toFixed(0)} s)`,
      `- Machine: ${machineDescription([['espeak-ng', ['--version']]])}`,
      `- Setup: ${SENTENCES.length} sentences × ${VOICES.length} espeak-ng voices (${VOICES.join(', ')}), two unfamiliar terms each ("${SENTENCES[0]![0]}"), the product's default Whisper engine; the vocabulary given is the sentence's two terms, the participants ${PARTICIPANTS.join(' and ')}.`,
      '',
      '| Told | Terms right | WER |',
      '|---|---|---|',
      ...rows.map((r) => `| ${r.key} ${r.how} | ${r.right} of ${r.total} | ${r.wer.toFixed(3)} |`),
      '',
    ]);
  }
} finally {
  await whisper.close();
  await rm(dir, { recursive: true, force: true });
}
