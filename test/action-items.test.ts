// Action items as things, the pure part (transcripts/action-items.ts): the due day said, counted from the meeting's
// day; the turn an item was said in; its owner (the speaker committing in the first person, else the participant
// named); the CSV (RFC 4180, formulas defused) and Markdown exports.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionItemsCsv, actionItemsMarkdown, deriveActionItems, dueDateIn, momentOf, participantNamed } from '../transcripts/action-items.ts';

// A Wednesday.
const WEDNESDAY = new Date('2026-12-02T15:30:00Z');

describe('action items', () => {
  it('reads the due day said, from the meeting’s day', () => {
    const cases: Array<[string, string | null]> = [
      ['send it by Friday', '2026-12-04'],
      ['by Wednesday', '2026-12-09'],
      ['next Friday', '2026-12-11'],
      ['next Monday', '2026-12-07'],
      ['tomorrow morning', '2026-12-03'],
      ['before the end of the week', '2026-12-04'],
      ['by the end of the month', '2026-12-31'],
      ['some time next week', '2026-12-07'],
      ['in two weeks', '2026-12-16'],
      ['in 3 days', '2026-12-05'],
      ['on January 5', '2027-01-05'],
      ['by December 10th', '2026-12-10'],
      ['the 10th of December', '2026-12-10'],
      ['due 2026-12-15', '2026-12-15'],
      ['we should look at the budget', null],
      ['I decided 3 things', null],
    ];
    for (const [text, due] of cases) assert.equal(dueDateIn(text, WEDNESDAY), due, text);
  });

  it('finds the turn an item was said in, or none when too little is shared', () => {
    const segments = [
      { start: 1, speakerName: 'Grace', text: 'Welcome everyone.' },
      { start: 7.5, speakerName: 'Ava', text: 'I will send the revised budget to finance by Friday.' },
      { start: 12, speakerName: 'Grace', text: 'Thanks, and the hiring plan is next.' },
    ];
    assert.deepEqual(momentOf('Send the revised budget to finance', segments), { startSeconds: 7.5, speakerName: 'Ava', text: segments[1]!.text });
    assert.equal(momentOf('Book the offsite venue', segments), null);
    assert.equal(momentOf('', segments), null);
  });

  it('names a participant by full or first name, the earliest mention winning, whole words only', () => {
    const people = ['Ava Lovelace', 'Grace Hopper', 'Al'];
    assert.equal(participantNamed('Grace and Ava will review it', people), 'Grace Hopper');
    assert.equal(participantNamed('ask ava lovelace', people), 'Ava Lovelace');
    assert.equal(participantNamed('Finalize the plan', people), null, '"Al" is not in "Finalize"');
  });

  it('derives owner, due day and moment from the summary’s items', () => {
    const segments = [
      { start: 2, speakerName: 'Grace', text: 'Ava, please draft the release notes before Monday.' },
      { start: 9, speakerName: 'Ava', text: 'Sure. And I will send the budget to Grace tomorrow.' },
      { start: 15, speakerName: 'Grace', text: 'We should revisit pricing at some point.' },
    ];
    const items = deriveActionItems(
      ['Grace: Ava, please draft the release notes before Monday.', 'Ava: And I will send the budget to Grace tomorrow.', 'Revisit pricing with the team'],
      segments, ['Grace', 'Ava'], WEDNESDAY,
    );
    assert.deepEqual(items, [
      { text: 'Grace: Ava, please draft the release notes before Monday.', owner: 'Ava', due: '2026-12-07', startSeconds: 2 },
      { text: 'Ava: And I will send the budget to Grace tomorrow.', owner: 'Ava', due: '2026-12-03', startSeconds: 9 },
      { text: 'Revisit pricing with the team', owner: null, due: null, startSeconds: 15 },
    ]);
  });

  it('exports CSV with quoting and defused formulas, and a Markdown task list by meeting', () => {
    const items = [
      { text: 'Send "the" budget, v2', owner: 'Ava', due: '2026-12-04', done: false, meeting: 'Budget', recordedAt: '2026-12-02T15:30:00.000Z', link: 'http://x/transcripts/1?t=9' },
      { text: '=HYPERLINK("http://evil")', owner: null, due: null, done: true, meeting: 'Budget', recordedAt: '2026-12-02T15:30:00.000Z', link: 'http://x/transcripts/1' },
    ];
    assert.equal(actionItemsCsv(items), [
      'done,text,owner,due,meeting,recorded_at,link',
      'no,"Send ""the"" budget, v2",Ava,2026-12-04,Budget,2026-12-02T15:30:00.000Z,http://x/transcripts/1?t=9',
      'yes,"\'=HYPERLINK(""http://evil"")",,,Budget,2026-12-02T15:30:00.000Z,http://x/transcripts/1',
      '',
    ].join('\r\n'));
    const md = actionItemsMarkdown('Action items: planning', items);
    assert.match(md, /^# Action items: planning\n\n## Budget \(2026-12-02\)\n\n- \[ \] Send "the" budget, v2 \(owner: Ava, due: 2026-12-04\) \[said here\]\(http:\/\/x\/transcripts\/1\?t=9\)\n- \[x\] =HYPERLINK/);
    assert.match(actionItemsMarkdown('None', []), /No action items\./);
  });
});
