// The offline extractive summarizer: deterministic, honest about what it finds, and safe on empty input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OfflineSummarizer } from '../summaries/offline.ts';
import type { Segment } from '../transcripts/words.ts';

function turn(speaker: number, speakerName: string, start: number, end: number, text: string): Segment {
  return { speaker, speakerName, start, end, text, words: [] };
}

// A 20-minute planning meeting: release first, then infrastructure, then the mobile app.
const planning: Segment[] = [
  turn(0, 'Alice', 5, 40, 'Good morning everyone. Today we need to agree on the release date for version two.'),
  turn(1, 'Bob', 45, 110, 'The release build still fails on the database migration tests. I will fix the flaky migration tests by Wednesday.'),
  turn(0, 'Alice', 115, 150, "Okay. Let's move the release to next Friday then."),
  turn(2, 'Carol', 160, 230, 'Marketing needs the release notes before the launch. Should we write them together?'),
  turn(1, 'Bob', 240, 280, 'I can write the release notes once the release build is green.'),
  turn(2, 'Carol', 400, 470, 'The staging server ran out of disk space again. The disk alerts never fired.'),
  turn(1, 'Bob', 480, 540, 'We should add disk usage monitoring to the staging dashboard.'),
  turn(0, 'Alice', 550, 600, 'Action item: Bob sets up disk monitoring on staging.'),
  turn(2, 'Carol', 760, 830, 'Customers keep asking about the export feature in the mobile app.'),
  turn(0, 'Alice', 840, 900, 'The mobile export needs a design review first. TODO: book the design review with the mobile team.'),
  turn(1, 'Bob', 910, 950, 'Is the export format CSV or Excel?'),
  turn(2, 'Carol', 960, 1000, 'Thanks everyone, see you next week.'),
];
const DURATION = 1200;

describe('offline extractive summarizer', () => {
  const engine = new OfflineSummarizer();

  it('is labelled as the offline engine', () => {
    assert.equal(engine.name, 'offline-extractive');
    assert.equal(engine.offline, true);
  });

  it('is deterministic', async () => {
    const input = { segments: planning, language: 'en', durationSeconds: DURATION };
    const first = await engine.summarize(input);
    const second = await new OfflineSummarizer().summarize(structuredClone(input));
    assert.deepEqual(second, first);
  });

  it('titles the meeting by its salient words and extracts sentences for the summaries', async () => {
    const summary = await engine.summarize({ segments: planning, language: 'en', durationSeconds: DURATION });
    assert.match(summary.title, /^Meeting about /);
    assert.match(summary.title, /release/);
    assert.ok(summary.shortSummary.length > 0);
    const transcriptText = planning.map((s) => s.text).join(' ');
    // Extractive: every sentence of the short summary is said in the meeting.
    for (const sentence of summary.shortSummary.match(/[^.!?]+[.!?]/g)!) assert.ok(transcriptText.includes(sentence.trim()), sentence);
    // The long summary says more, with speaker names.
    assert.ok(summary.longSummary.length > summary.shortSummary.length);
    assert.match(summary.longSummary, /^\[\d\d:\d\d\] (Alice|Bob|Carol): /m);
  });

  it('finds commitments as action items, and leaves questions and small talk out', async () => {
    const { actionItems } = await engine.summarize({ segments: planning, language: 'en', durationSeconds: DURATION });
    for (const expected of [
      'Bob: I will fix the flaky migration tests by Wednesday.',
      "Alice: Let's move the release to next Friday then.",
      'Bob: We should add disk usage monitoring to the staging dashboard.',
      'Alice: Action item: Bob sets up disk monitoring on staging.',
      'Alice: TODO: book the design review with the mobile team.',
    ]) {
      assert.ok(actionItems.includes(expected), `missing ${expected} in ${JSON.stringify(actionItems, null, 1)}`);
    }
    assert.ok(!actionItems.some((item) => item.endsWith('?')));
    assert.ok(!actionItems.some((item) => /Thanks everyone|Marketing needs the release notes/.test(item)));
  });

  it('cuts the meeting into contiguous topics that cover it in order, titled by their keywords', async () => {
    const { topics } = await engine.summarize({ segments: planning, language: 'en', durationSeconds: DURATION });
    // Five-minute windows: 0-5 release, 5-10 disk, 10-15 mobile export, 15-20 the export format question.
    assert.equal(topics.length, 4);
    assert.equal(topics[0]!.start, 0);
    assert.equal(topics.at(-1)!.end, DURATION);
    topics.forEach((topic, i) => {
      assert.ok(topic.start < topic.end);
      if (i > 0) assert.equal(topic.start, topics[i - 1]!.end);
    });
    assert.match(topics[0]!.title, /release/i);
    assert.match(topics[1]!.title, /disk/i);
    assert.match(topics[2]!.title, /export|mobile/i);
    assert.match(topics[1]!.summary, /^(Alice|Bob|Carol): /);
  });

  it('keeps a long meeting to a bounded number of topics', async () => {
    const segments = Array.from({ length: 540 }, (_, i) => turn(i % 2, i % 2 ? 'Bob' : 'Alice', i * 20, i * 20 + 15, `Item ${i}: the budget review covers hiring plans and vendor contracts for region ${i % 7}.`));
    const { topics } = await new OfflineSummarizer({ maxTopics: 8 }).summarize({ segments, language: 'en', durationSeconds: 10_800 });
    assert.equal(topics.length, 8);
    assert.equal(topics.at(-1)!.end, 10_800);
  });

  it('cuts unpunctuated recognizer output into sentence-sized pieces', async () => {
    const words = 'we need to migrate the billing service to the new cluster before the audit and the billing team will own the rollback plan while operations handles the cluster capacity and the audit evidence collection for the quarter';
    const summary = await engine.summarize({ segments: [turn(0, 'Dana', 0, 60, words)], language: 'en', durationSeconds: 60 });
    assert.ok(summary.shortSummary.length < words.length + 10);
    assert.ok(summary.actionItems.length >= 1);
  });

  it('returns sensible empties for empty and tiny transcripts', async () => {
    const empty = await engine.summarize({ segments: [], language: 'en', durationSeconds: 0 });
    assert.deepEqual(empty, { title: 'Untitled meeting', shortSummary: '', longSummary: '', topics: [], actionItems: [] });

    const blank = await engine.summarize({ segments: [turn(0, 'Alice', 0, 2, '   ')], language: 'en', durationSeconds: 5 });
    assert.deepEqual(blank, empty);

    const hello = await engine.summarize({ segments: [turn(0, 'Alice', 0, 2, 'Hi.'), turn(1, 'Bob', 3, 4, 'Hello!')], language: 'en', durationSeconds: 10 });
    assert.equal(hello.title, 'Untitled meeting');
    assert.equal(hello.shortSummary, '');
    assert.deepEqual(hello.actionItems, []);
    assert.equal(hello.topics.length, 1);
    assert.deepEqual([hello.topics[0]!.start, hello.topics[0]!.end], [0, 10]);

    const one = await engine.summarize({ segments: [turn(0, 'Alice', 0, 4, 'Ship the invoice export.')], language: 'en', durationSeconds: 4 });
    assert.match(one.title, /^Meeting about /);
    assert.equal(one.shortSummary, 'Ship the invoice export.');
  });

  it('rejects when already cancelled', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await assert.rejects(engine.summarize({ segments: planning, language: 'en', durationSeconds: DURATION }, { signal: controller.signal }), /cancelled/);
  });
});
