import { embeddedTarget } from '@chatgraph/test-support';
import { withAttachments } from '../src/domain/attachments';
import { startAiGateway } from './harness';
import { describeAttachments } from './suites/attachments';

// The same suite runs on Kafka + FerretDB + Redis in attachments.real.test.ts.
describe('attached files reach the model', () =>
  describeAttachments((catalog) => embeddedTarget((env) => startAiGateway({ env, catalog }))));

describe('withAttachments', () => {
  const doc = (id: string, text: string) => ({
    _id: id,
    ownerId: 'u',
    deleted: false,
    filename: `${id}.txt`,
    mimeType: 'text/plain',
    text,
    textTruncated: false,
    pages: null,
    image: null,
    version: 1,
  });

  it('gives the newest message its documents first and leaves older ones out when the budget is used up', () => {
    const files = new Map([
      ['old', doc('old', 'o'.repeat(100))],
      ['new', doc('new', 'n'.repeat(100))],
    ]);
    const messages = withAttachments(
      [
        { role: 'user', content: 'first', fileIds: ['old'] },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'second', fileIds: ['new'] },
      ],
      files,
      { vision: false, budgetTokens: 25 },
    );
    expect(messages[2]?.content).toContain('n'.repeat(100));
    expect(messages[0]?.content).toContain('[its text is left out: the context budget for attached files is used up]');
    expect(messages[1]).toEqual({ role: 'assistant', content: 'ok' });
  });
});
