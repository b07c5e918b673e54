import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWebVTT, segmentsToCues, toJSON, toPlainText, toSRT, toWebVTT, vttTime, WebVTTParseError } from '../transcripts/exports.ts';
import { mergeIntoSegments } from '../transcripts/merge.ts';
import type { Segment, Speaker, TimedWord } from '../transcripts/words.ts';

const speakers: Speaker[] = [{ index: 0, name: 'Dr <Ann> & Co' }, { index: 1, name: 'Bob' }];

/** Words of `text` spoken one every `step` seconds from `start`. */
function said(speaker: number, text: string, start: number, step = 0.4): TimedWord[] {
  return text.split(' ').map((word, i) => ({ text: word, start: start + i * step, end: start + i * step + step * 0.8, confidence: 0.9, speaker }));
}

const segments: Segment[] = mergeIntoSegments([
  ...said(0, 'Use a <b> tag & say --> here.', 1),
  ...said(1, 'Fine by me.', 4.5),
  ...said(0, 'Later, an hour in.', 3725.5),
], speakers, {});

describe('WebVTT', () => {
  it('writes a header and voiced cues with escaped names and text', () => {
    const vtt = toWebVTT(segments);
    assert.equal(vtt, [
      'WEBVTT',
      '',
      '00:00:01.000 --> 00:00:04.120',
      '<v Dr &lt;Ann&gt; &amp; Co>Use a &lt;b&gt; tag &amp; say --&gt; here.',
      '',
      '00:00:04.500 --> 00:00:05.620',
      '<v Bob>Fine by me.',
      '',
      '01:02:05.500 --> 01:02:07.020',
      '<v Dr &lt;Ann&gt; &amp; Co>Later, an hour in.',
      '',
    ].join('\n'));
  });

  it('reads back what it writes: names and text survive the round trip', () => {
    const cues = parseWebVTT(toWebVTT(segments));
    assert.deepEqual(cues.map((c) => [c.start, c.end, c.voice, c.text]), [
      [1, 4.12, 'Dr <Ann> & Co', 'Use a <b> tag & say --> here.'],
      [4.5, 5.62, 'Bob', 'Fine by me.'],
      [3725.5, 3727.02, 'Dr <Ann> & Co', 'Later, an hour in.'],
    ]);
  });

  it('splits long turns into cues of at most 7 s and two lines, at word boundaries', () => {
    const words = said(1, Array.from({ length: 60 }, (_, i) => `word${i}`).join(' '), 10, 0.3);
    const long = mergeIntoSegments(words, speakers, {});
    assert.equal(long.length, 1);
    const cues = parseWebVTT(toWebVTT(long));
    assert.ok(cues.length >= 4, `${cues.length} cues`);
    for (const cue of cues) {
      assert.ok(cue.end - cue.start <= 7, `${cue.start}–${cue.end}`);
      const lines = cue.text.split('\n');
      assert.ok(lines.length <= 2 && lines.every((l) => l.length <= 42), JSON.stringify(lines));
      assert.equal(cue.voice, 'Bob');
    }
    assert.deepEqual(cues.map((c) => c.start), cues.map((c) => c.start).toSorted((a, b) => a - b));
    assert.equal(cues.map((c) => c.text.replace(/\n/g, ' ')).join(' '), long[0]!.text, 'every word once, in order');
    assert.deepEqual(segmentsToCues(long, { maxCueSeconds: 3 }).every((c) => c.end - c.start <= 3), true);
  });

  it('keeps cue starts in order even when segments overlap, and never writes an empty cue', () => {
    const overlap: Segment[] = [
      { speaker: 0, speakerName: 'A', start: 5, end: 5, text: 'Instant', words: [{ text: 'Instant', start: 5, end: 5, confidence: null, speaker: 0 }] },
      { speaker: 1, speakerName: 'B', start: 2, end: 6, text: 'Edited text without words', words: [] },
    ];
    const cues = parseWebVTT(toWebVTT(overlap));
    assert.deepEqual(cues.map((c) => [c.start, c.voice, c.text]), [[2, 'B', 'Edited text without words'], [5, 'A', 'Instant']]);
    assert.equal(cues[1]!.end, 5.001);
  });

  it('formats timestamps as HH:MM:SS.mmm', () => {
    assert.equal(vttTime(0), '00:00:00.000');
    assert.equal(vttTime(61.0005), '00:01:01.001');
    assert.equal(vttTime(3599.9996), '01:00:00.000');
    assert.equal(vttTime(100 * 3600 + 1.5), '100:00:01.500');
  });

  it('parses ordinary WebVTT: BOM, CRLF, header text, NOTE blocks, identifiers, settings, short timestamps, tags', () => {
    const text = '\uFEFFWEBVTT - meeting\r\nKind: captions\r\n\r\nNOTE written by hand\r\n\r\nintro\r\n00:01.000 --> 00:02.500 align:start line:0\r\n<v.loud Ann>Hi <i>there</i> &#x263A; &lt;3</v>\r\n\r\n00:00:02.500 --> 00:00:04.000\r\n<c.yellow>no voice</c> <00:00:03.000>later\r\n';
    assert.deepEqual(parseWebVTT(text), [
      { identifier: 'intro', start: 1, end: 2.5, settings: 'align:start line:0', voice: 'Ann', text: 'Hi there \u263a <3' },
      { identifier: null, start: 2.5, end: 4, settings: '', voice: null, text: 'no voice later' },
    ]);
    assert.deepEqual(parseWebVTT('WEBVTT\n'), []);
  });

  it('rejects malformed files with the offending line', () => {
    const bad: Array<[string, RegExp]> = [
      ['WEBVTTX\n\n00:00:01.000 --> 00:00:02.000\nhi\n', /line 1: the file must start/],
      ['1\n00:00:01.000 --> 00:00:02.000\nhi\n', /line 1/],
      ['WEBVTT\n00:00:01.000 --> 00:00:02.000\nhi\n', /line 2: a blank line must follow the header/],
      ['WEBVTT\n\n00:00:01.00 --> 00:00:02.000\nhi\n', /line 3: expected cue timings/],
      ['WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nhi\n', /expected cue timings/],
      ['WEBVTT\n\n00:61:01.000 --> 01:00:02.000\nhi\n', /expected cue timings/],
      ['WEBVTT\n\nan identifier only\n', /line 3: expected cue timings/],
      ['WEBVTT\n\n00:00:02.000 --> 00:00:02.000\nhi\n', /line 3: a cue must end after it starts/],
      ['WEBVTT\n\n00:00:03.000 --> 00:00:02.000\nhi\n', /must end after it starts/],
      ['WEBVTT\n\n00:00:05.000 --> 00:00:06.000\na\n\n00:00:04.000 --> 00:00:07.000\nb\n', /line 6: cue start times must not decrease/],
      ['WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nFish & chips\n', /line 4: "&" must start a character reference/],
      ['WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n&bogus; entity\n', /character reference/],
      ['WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ann>1 < 2\n', /unterminated tag/],
      ['WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<script>x</script>\n', /unknown tag <script>/],
      ['WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v>nobody\n', /<v> needs an annotation/],
      ['WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<b Ann>x\n', /<b> takes no annotation/],
      ['WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v A &amp B>x\n', /character reference/],
      ['WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nline\nnot --> allowed\n', /line 5: cue text must not contain "-->"/],
      ['WEBVTT\n\n00:00:01.000 --> 00:00:02.000\na\n\nSTYLE\n::cue { color: red }\n', /STYLE blocks must come before the first cue/],
    ];
    for (const [text, message] of bad) {
      assert.throws(() => parseWebVTT(text), (error: unknown) => error instanceof WebVTTParseError && message.test(error.message), JSON.stringify(text));
    }
  });
});

describe('SRT', () => {
  it('numbers cues from 1 with comma milliseconds and the speaker before the text', () => {
    assert.equal(toSRT(segments), [
      '1',
      '00:00:01,000 --> 00:00:04,120',
      'Dr <Ann> & Co: Use a <b> tag & say --> here.',
      '',
      '2',
      '00:00:04,500 --> 00:00:05,620',
      'Bob: Fine by me.',
      '',
      '3',
      '01:02:05,500 --> 01:02:07,020',
      'Dr <Ann> & Co: Later, an hour in.',
      '',
    ].join('\n'));
  });

  it('numbers every cue of a split turn', () => {
    const long = mergeIntoSegments(said(1, Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '), 0, 0.3), speakers, {});
    const blocks = toSRT(long).trimEnd().split('\n\n');
    assert.ok(blocks.length >= 2);
    blocks.forEach((block, i) => {
      const [number, timing, first] = block.split('\n');
      assert.equal(number, String(i + 1));
      assert.match(timing!, /^\d{2}:\d{2}:\d{2},\d{3} --> \d{2}:\d{2}:\d{2},\d{3}$/);
      assert.match(first!, /^Bob: w\d+/);
    });
  });
});

describe('plain text and JSON', () => {
  it('writes one line per turn, with or without timestamps', () => {
    assert.equal(toPlainText(segments, { timestamps: false }), 'Dr <Ann> & Co: Use a <b> tag & say --> here.\nBob: Fine by me.\nDr <Ann> & Co: Later, an hour in.\n');
    assert.equal(toPlainText(segments, { timestamps: true }), '[00:00:01] Dr <Ann> & Co: Use a <b> tag & say --> here.\n[00:00:04] Bob: Fine by me.\n[01:02:05] Dr <Ann> & Co: Later, an hour in.\n');
    assert.equal(toPlainText([], { timestamps: true }), '');
  });

  it('has the documented JSON shape', () => {
    const meta = { id: 't1', recordingId: 'r1', title: 'Standup', language: 'en', recordedAt: new Date('2026-03-02T10:00:00Z'), durationSeconds: 3730.0004, speakers: [...speakers, { index: 2, name: 'Silent Sam' }] };
    const json = toJSON(meta, segments.slice(1, 2));
    assert.deepEqual(JSON.parse(JSON.stringify(json)), {
      format: 'meeting-transcript',
      version: 1,
      id: 't1',
      recordingId: 'r1',
      title: 'Standup',
      language: 'en',
      recordedAt: '2026-03-02T10:00:00.000Z',
      durationSeconds: 3730,
      speakers: [{ index: 0, name: 'Dr <Ann> & Co' }, { index: 1, name: 'Bob' }, { index: 2, name: 'Silent Sam' }],
      segments: [{
        speaker: 1, speakerName: 'Bob', start: 4.5, end: 5.62, text: 'Fine by me.',
        words: [
          { text: 'Fine', start: 4.5, end: 4.82, confidence: 0.9 },
          { text: 'by', start: 4.9, end: 5.22, confidence: 0.9 },
          { text: 'me.', start: 5.3, end: 5.62, confidence: 0.9 },
        ],
      }],
    });
    const minimal = toJSON({ id: 't2', durationSeconds: 10 }, segments);
    assert.deepEqual([minimal.recordingId, minimal.title, minimal.language, minimal.recordedAt], [null, null, null, null]);
    assert.deepEqual(minimal.speakers, [{ index: 0, name: 'Dr <Ann> & Co' }, { index: 1, name: 'Bob' }]);
  });
});
