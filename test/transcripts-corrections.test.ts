// Corrections as pure functions: rename, merge, move, text edits that keep the times of the words they leave
// alone, and reverts that put back exactly what was there.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CorrectionError} from '../transcripts/corrections.ts';
import { applyPart, contentOf, editText, mergeSpeakers, moveTurn, renameSpeaker, retimeWords, revertCorrection } from '../transcripts/corrections.ts';
import type { Segment, TimedWord } from '../transcripts/words.ts';

const w = (speaker: number, text: string, start: number, end: number): TimedWord => ({ text, start, end, confidence: 0.9, speaker });

function sample() {
  const segments: Segment[] = [
    { speaker: 0, speakerName: 'Speaker 1', start: 1, end: 3, text: 'We ship on Friday.', words: [w(0, 'We', 1, 1.3), w(0, 'ship', 1.4, 1.8), w(0, 'on', 1.9, 2.1), w(0, 'Friday', 2.2, 2.9), w(0, '.', 2.9, 3)] },
    { speaker: 1, speakerName: 'Bob', start: 4, end: 5, text: 'Sounds good', words: [w(1, 'Sounds', 4, 4.4), w(1, 'good', 4.5, 5)] },
    { speaker: 0, speakerName: 'Speaker 1', start: 6, end: 7, text: 'Great', words: [w(0, 'Great', 6, 7)] },
  ];
  return contentOf(segments, [
    { speaker: 0, name: '', platformParticipantId: 'p0', userId: null },
    { speaker: 1, name: 'Bob', platformParticipantId: 'p1', userId: 'u1' },
  ]);
}

describe('transcript corrections', () => {
  it('renames a speaker in every turn, and a revert puts the old name back', () => {
    const renamed = renameSpeaker(sample(), 0, '  Ada  ');
    assert.deepEqual(renamed.content.segments.map((s) => s.speakerName), ['Ada', 'Bob', 'Ada']);
    assert.equal(renamed.summary, 'Renamed "Speaker 1" to "Ada"');
    const reverted = revertCorrection(renamed.content, renamed);
    assert.deepEqual(reverted.content, sample());
    assert.throws(() => renameSpeaker(sample(), 7, 'X'), (e: CorrectionError) => e.status === 404 && e.code === 'speaker_not_found');
    assert.throws(() => renameSpeaker(sample(), 1, 'Bob'), (e: CorrectionError) => e.status === 400 && e.code === 'unchanged');
  });

  it('merges one speaker into another and moves a single turn', () => {
    const merged = mergeSpeakers(sample(), 1, 0);
    assert.deepEqual(merged.content.segments.map((s) => [s.speaker, s.speakerName]), [[0, 'Speaker 1'], [0, 'Speaker 1'], [0, 'Speaker 1']]);
    assert.ok(merged.content.segments[1]!.words.every((word) => word.speaker === 0));
    assert.deepEqual(merged.content.participants.map((p) => p.speaker), [0]);
    assert.deepEqual(revertCorrection(merged.content, merged).content, sample());
    assert.throws(() => mergeSpeakers(sample(), 1, 1), (e: CorrectionError) => e.code === 'same_speaker');

    const moved = moveTurn(sample(), 2, 1);
    assert.deepEqual(moved.content.segments.map((s) => s.speakerName), ['Speaker 1', 'Bob', 'Bob']);
    assert.deepEqual(moved.before.turns?.map((t) => [t.index, t.speaker]), [[2, 0]]);
    assert.throws(() => moveTurn(sample(), 3, 1), (e: CorrectionError) => e.status === 404 && e.code === 'turn_not_found');
  });

  it('edits text: unchanged words keep their times, new ones fill the gap between their neighbours', () => {
    const edited = editText(sample(), 0, 'We really ship on Monday.');
    const turn = edited.content.segments[0]!;
    assert.equal(turn.text, 'We really ship on Monday.');
    const byText = Object.fromEntries(turn.words.map((word) => [word.text, [word.start, word.end]]));
    assert.deepEqual(byText.We, [1, 1.3]);
    assert.deepEqual(byText.ship, [1.4, 1.8]);
    assert.deepEqual(byText.on, [1.9, 2.1]);
    // "really" sits between "We" and "ship"; "Monday." between "on" and the turn's end.
    assert.deepEqual(byText.really, [1.3, 1.4]);
    assert.deepEqual(byText['Monday.'], [2.1, 3]);
    assert.equal(turn.start, 1);
    assert.equal(turn.end, 3);
    assert.deepEqual(revertCorrection(edited.content, edited).content.segments[0], sample().segments[0]);
    assert.throws(() => editText(sample(), 0, '   '), (e: CorrectionError) => e.code === 'invalid_text');
    assert.throws(() => editText(sample(), 0, 'We ship on  Friday.'), (e: CorrectionError) => e.code === 'unchanged');
  });

  it('retimes words within the turn: all new, or deletions only', () => {
    const all = retimeWords([], ['one', 'two'], { start: 10, end: 12, speaker: 0 });
    assert.deepEqual(all.map((word) => [word.start, word.end]), [[10, 11], [11, 12]]);
    const fewer = retimeWords([{ text: 'a', start: 1, end: 2, confidence: 1 }, { text: 'b', start: 2, end: 3, confidence: 1 }], ['b'], { start: 1, end: 3, speaker: 0 });
    assert.deepEqual(fewer.map((word) => [word.text, word.start, word.end]), [['b', 2, 3]]);
  });

  it('applies a part without touching the rest', () => {
    const content = sample();
    const applied = applyPart(content, { turns: [{ index: 1, speaker: 0, start: 4, end: 5, text: 'Hi', words: [] }] });
    assert.deepEqual(applied.segments[1]!.speakerName, 'Speaker 1');
    assert.deepEqual(applied.segments[0], content.segments[0]);
    assert.deepEqual(content.segments[1]!.text, 'Sounds good', 'the input is unchanged');
  });
});
