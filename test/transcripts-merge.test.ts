import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { joinWords, mergeIntoSegments, placeWords } from '../transcripts/merge.ts';
import type { Speaker, TimedWord } from '../transcripts/words.ts';

const speakers: Speaker[] = [{ index: 0, name: 'Alice' }, { index: 1, name: 'Bob' }];

function w(speaker: number, text: string, start: number, end = Math.round((start + 0.3) * 1000) / 1000): TimedWord {
  return { text, start, end, confidence: null, speaker };
}

const turns = (segments: ReturnType<typeof mergeIntoSegments>) => segments.map((s) => `${s.speakerName}@${s.start}-${s.end}: ${s.text}`);

describe('mergeIntoSegments', () => {
  it('orders words from all tracks by time and groups them into speaker turns', () => {
    const alice = [w(0, 'Good', 1), w(0, 'morning.', 1.4), w(0, 'Ready?', 6)];
    const bob = [w(1, 'Hi', 2.5), w(1, 'Alice.', 2.9), w(1, 'Yes.', 7)];
    const shuffled = [bob[2]!, alice[1]!, bob[0]!, alice[2]!, alice[0]!, bob[1]!];
    const segments = mergeIntoSegments(shuffled, speakers, { maxGapSeconds: 10 });
    assert.deepEqual(turns(segments), [
      'Alice@1-1.7: Good morning.',
      'Bob@2.5-3.2: Hi Alice.',
      'Alice@6-6.3: Ready?',
      'Bob@7-7.3: Yes.',
    ]);
    assert.deepEqual(segments[0]!.words, [alice[0], alice[1]]);
    assert.equal(segments[1]!.speaker, 1);
  });

  it('starts a new segment after a pause longer than maxGapSeconds', () => {
    const words = [w(0, 'One.', 0, 0.5), w(0, 'Two.', 2.4, 2.8), w(0, 'Three.', 5, 5.5)];
    assert.deepEqual(turns(mergeIntoSegments(words, speakers, { maxGapSeconds: 2 })), ['Alice@0-2.8: One. Two.', 'Alice@5-5.5: Three.']);
    assert.equal(mergeIntoSegments(words, speakers, { maxGapSeconds: 3 }).length, 1);
    assert.equal(mergeIntoSegments(words, speakers, { maxGapSeconds: 1 }).length, 3);
    assert.equal(mergeIntoSegments(words, speakers).length, 2, 'default gap 2 s');
  });

  it('breaks ties by speaker, then keeps input order (a stable merge)', () => {
    const first = w(1, 'first', 3);
    const second = w(1, 'second', 3);
    const segments = mergeIntoSegments([first, w(0, 'same', 3), second], speakers, {});
    assert.deepEqual(turns(segments), ['Alice@3-3.3: same', 'Bob@3-3.3: first second']);
    assert.equal(segments[1]!.words[0], first);
    // The same input in any order gives the same transcript.
    const words = [w(0, 'a', 1), w(1, 'b', 1.2), w(0, 'c', 1.2), w(1, 'd', 4)];
    const expected = turns(mergeIntoSegments(words, speakers, {}));
    assert.deepEqual(turns(mergeIntoSegments(words.toReversed(), speakers, {})), expected);
  });

  it('interleaves overlapping speech by time', () => {
    const words = [w(0, 'I', 1), w(0, 'think', 1.3), w(0, 'we', 1.6), w(0, 'should', 1.9), w(1, 'yeah', 1.45), w(1, 'right', 2.1)];
    assert.deepEqual(mergeIntoSegments(words, speakers, {}).map((s) => `${s.speakerName}: ${s.text}`), [
      'Alice: I think', 'Bob: yeah', 'Alice: we should', 'Bob: right',
    ]);
  });

  it('names unknown speakers, drops empty words, attaches punctuation tokens, and leaves its input alone', () => {
    const words = [w(2, 'Hello', 0), w(2, ',', 0.3), w(2, ' ', 0.4), w(2, ' there ', 0.5), w(2, '!', 0.8)];
    const copy = structuredClone(words);
    const [segment] = mergeIntoSegments(words, speakers, {});
    assert.equal(segment!.speakerName, 'Speaker 3');
    assert.equal(segment!.text, 'Hello, there!');
    assert.equal(segment!.words.length, 4);
    assert.deepEqual(words, copy);
    assert.deepEqual(mergeIntoSegments([], speakers, {}), []);
    assert.equal(joinWords([{ text: 'a' }, { text: '.' }, { text: 'b' }]), 'a. b');
  });

  it('places recognized words on the recording timeline', () => {
    const placed = placeWords([{ text: 'hi', start: 0.25, end: 0.5, confidence: 0.9 }], { offsetSeconds: 3 + 12.1, speaker: 1 });
    assert.deepEqual(placed, [{ text: 'hi', start: 15.35, end: 15.6, confidence: 0.9, speaker: 1 }]);
  });
});
