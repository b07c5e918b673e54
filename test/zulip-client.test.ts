// Summaries delivered to Zulip, against a stand-in of its server (test/support/zulip-stand-in.ts): one message per
// meeting, posted once and edited in place afterwards, posted again only when it was deleted; Zulip's refusals say
// whether trying again can help (a rate limit or an outage can, wrong credentials or an unknown stream cannot) and
// never show the API key.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import {
  deliverToZulip, editZulipMessage, postZulipMessage, zulipSummaryContent, ZulipError, type ZulipTarget,
} from '../delivery/zulip.ts';
import { startZulipStandIn, type ZulipStandIn } from './support/zulip-stand-in.ts';

const bot = { email: 'recorder-bot@chat.example.com', apiKey: 'k3y0fTheRec0rderB0tSh0uldN0tLeak' };
const otherBot = { email: 'other-bot@chat.example.com', apiKey: 'anotherBotsKeyAnotherBotsKey0000' };

function refusal(expected: { status: number; retryable: boolean; code?: string }): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ZulipError, `not a ZulipError: ${String(error)}`);
    assert.equal(error.name, 'ZulipError');
    assert.equal(error.status, expected.status, error.message);
    assert.equal(error.retryable, expected.retryable, error.message);
    if ('code' in expected) assert.equal(error.code, expected.code, error.message);
    assert.ok(!error.message.includes(bot.apiKey), error.message);
    return true;
  };
}

describe('Zulip delivery', () => {
  let zulip: ZulipStandIn;
  let target: ZulipTarget;

  before(async () => {
    zulip = await startZulipStandIn({ bots: [bot, otherBot], streams: ['meetings', 'general'] });
    target = { site: `${zulip.url}/`, botEmail: bot.email, apiKey: bot.apiKey, stream: 'meetings', topic: 'Weekly planning' };
  });
  after(async () => {
    await zulip?.close();
  });

  it('posts one message, then edits that message in place', async () => {
    const first = await deliverToZulip(target, 'First summary', null);
    assert.equal(first.edited, false);
    const posted = zulip.messages.filter((message) => message.id === first.messageId);
    assert.deepEqual(posted, [{ id: first.messageId, stream: 'meetings', topic: 'Weekly planning', content: 'First summary', sender: bot.email, edits: 0 }]);

    const second = await deliverToZulip(target, 'Corrected summary', first.messageId);
    assert.deepEqual(second, { messageId: first.messageId, edited: true });
    const edited = zulip.messages.filter((message) => message.topic === 'Weekly planning');
    assert.equal(edited.length, 1);
    assert.equal(edited[0]?.content, 'Corrected summary');
    assert.equal(edited[0]?.edits, 1);
  });

  it('posts a new message when the previous one was deleted', async () => {
    const deletedTarget = { ...target, topic: 'Deleted one' };
    const { messageId } = await postZulipMessage(deletedTarget, 'Soon deleted');
    zulip.deleteMessage(messageId);

    const delivered = await deliverToZulip(deletedTarget, 'Posted again', messageId);
    assert.equal(delivered.edited, false);
    assert.notEqual(delivered.messageId, messageId);
    const inTopic = zulip.messages.filter((message) => message.topic === 'Deleted one');
    assert.deepEqual(inTopic.map((message) => [message.id, message.content, message.edits]), [[delivered.messageId, 'Posted again', 0]]);
  });

  it('refuses an edit of a message that exists but is not the bot’s, without posting a second one', async () => {
    const theirs = await postZulipMessage({ ...target, botEmail: otherBot.email, apiKey: otherBot.apiKey, topic: 'Not ours' }, 'Another bot’s message');
    await assert.rejects(editZulipMessage(target, theirs.messageId, 'Ours now?'), refusal({ status: 400, retryable: false, code: 'BAD_REQUEST' }));
    await assert.rejects(deliverToZulip({ ...target, topic: 'Not ours' }, 'Ours now?', theirs.messageId), refusal({ status: 400, retryable: false }));
    assert.deepEqual(zulip.messages.filter((message) => message.topic === 'Not ours').map((message) => message.content), ['Another bot’s message']);
  });

  it('refuses a wrong API key as final (401), without showing the key', async () => {
    const wrongKey = 'wr0ngKeyWr0ngKeyWr0ngKeyWr0ngKey';
    await assert.rejects(postZulipMessage({ ...target, apiKey: wrongKey }, 'Nope'), (error: unknown) => {
      assert.ok(error instanceof ZulipError);
      assert.equal(error.status, 401);
      assert.equal(error.code, 'INVALID_API_KEY');
      assert.equal(error.retryable, false);
      assert.ok(!error.message.includes(wrongKey), error.message);
      return true;
    });
    // The right key for another email is refused too.
    await assert.rejects(postZulipMessage({ ...target, botEmail: otherBot.email }, 'Nope'), refusal({ status: 401, retryable: false, code: 'INVALID_API_KEY' }));
  });

  it('takes a rate limit (429) as worth retrying after the time Zulip gives', async () => {
    zulip.failNext(429, 1, 7);
    await assert.rejects(postZulipMessage(target, 'Too fast'), (error: unknown) => {
      refusal({ status: 429, retryable: true, code: 'RATE_LIMIT_HIT' })(error);
      assert.equal((error as ZulipError).retryAfterSeconds, 7);
      return true;
    });
    // Only the next request was limited.
    const { messageId } = await postZulipMessage(target, 'In time');
    assert.ok(zulip.messages.some((message) => message.id === messageId));
  });

  it('takes an outage (503, not Zulip’s JSON) as worth retrying, during an edit too', async () => {
    zulip.failNext(503);
    await assert.rejects(postZulipMessage(target, 'Down'), refusal({ status: 503, retryable: true, code: undefined }));

    const { messageId } = await postZulipMessage({ ...target, topic: 'Outage' }, 'Before the outage');
    zulip.failNext(503);
    await assert.rejects(deliverToZulip({ ...target, topic: 'Outage' }, 'During the outage', messageId), refusal({ status: 503, retryable: true }));
    assert.equal(zulip.messages.filter((message) => message.topic === 'Outage').length, 1);
  });

  it('takes no answer at all as worth retrying', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(postZulipMessage({ ...target, site: `http://127.0.0.1:${port}` }, 'Anyone?'), refusal({ status: 0, retryable: true }));
  });

  it('refuses an unknown stream as final', async () => {
    await assert.rejects(postZulipMessage({ ...target, stream: 'nowhere' }, 'Lost'), (error: unknown) => {
      refusal({ status: 400, retryable: false, code: 'STREAM_DOES_NOT_EXIST' })(error);
      assert.match((error as ZulipError).message, /Channel 'nowhere' does not exist/);
      return true;
    });
  });

  it('writes the summary message: linked title, duration and participants, summary, action items, in-place note', async () => {
    const content = zulipSummaryContent({
      title: 'Weekly planning [Q3]',
      link: 'https://recorder.example.com/meetings/42/transcript',
      summary: 'We agreed on the **launch date**. Tell @**all** later.',
      actionItems: [
        { text: 'Draft the announcement', owner: 'Alice', due: '2026-12-06' },
        { text: 'Book the room', owner: null, due: null },
        { text: 'Check the budget', owner: 'Bob', due: null },
      ],
      participants: ['Alice', 'Bob', 'Carol'],
      durationSeconds: 3_900,
      revision: 2,
    });
    assert.ok(content.startsWith('**[Weekly planning \\[Q3\\]](https://recorder.example.com/meetings/42/transcript)**\n'), content);
    assert.ok(content.includes('1 h 5 min · with Alice, Bob, Carol'), content);
    assert.ok(content.includes('We agreed on the **launch date**.'), content);
    assert.ok(!content.includes('@**all**'), 'a wildcard mention would notify the whole stream');
    assert.ok(content.includes('- Draft the announcement — Alice, due 2026-12-06'), content);
    assert.ok(content.includes('- Book the room\n'), content);
    assert.ok(content.includes('- Check the budget — Bob'), content);
    assert.match(content.split('\n').at(-1) ?? '', /updated in place when the transcript is corrected/);

    const bare = zulipSummaryContent({ title: 'Standup', link: 'https://recorder.example.com/m/1 (copy)', summary: null, actionItems: [], participants: [], durationSeconds: null, revision: 1 });
    assert.ok(bare.startsWith('**[Standup](https://recorder.example.com/m/1%20%28copy%29)**\n'), bare);
    assert.ok(bare.includes('No action items.'), bare);

    // What it writes goes through the stand-in as posted.
    const { messageId } = await postZulipMessage({ ...target, topic: 'Rendered' }, content);
    assert.equal(zulip.messages.find((message) => message.id === messageId)?.content, content);
  });
});
