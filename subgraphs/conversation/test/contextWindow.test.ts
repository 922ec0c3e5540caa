import { buildContextWindow, estimateTokens } from '../src/contextWindow';

const turn = (role: 'USER' | 'ASSISTANT', chars: number, tag: string) => ({ role, content: `${tag}${'x'.repeat(chars - tag.length)}` });

describe('buildContextWindow', () => {
  it('keeps everything that fits, system prompt first', () => {
    const branch = [turn('USER', 40, 'q1'), turn('ASSISTANT', 40, 'a1')];
    const window = buildContextWindow('be kind', branch, 1000);
    expect(window.messages.map((m) => m.role)).toEqual(['SYSTEM', 'USER', 'ASSISTANT']);
    expect(window.dropped).toBe(0);
    expect(window.estimatedTokens).toBe(estimateTokens({ role: 'SYSTEM', content: 'be kind' }) + 2 * (10 + 4));
  });

  it('drops the oldest turns first and always keeps the system prompt and the newest message', () => {
    const branch = [
      turn('USER', 400, 'q1'),
      turn('ASSISTANT', 400, 'a1'),
      turn('USER', 400, 'q2'),
      turn('ASSISTANT', 400, 'a2'),
      turn('USER', 400, 'q3'),
    ];
    const window = buildContextWindow('system', branch, 250);
    expect(window.messages.map((m) => m.content.slice(0, 2))).toEqual(['sy', 'a2', 'q3']);
    expect(window.dropped).toBe(3);
    expect(window.estimatedTokens).toBeLessThanOrEqual(250);
  });

  it('keeps the newest message even when it alone exceeds the budget', () => {
    const window = buildContextWindow(null, [turn('USER', 40, 'old'), turn('USER', 4000, 'huge')], 100);
    expect(window.messages.map((m) => m.content.slice(0, 4))).toEqual(['huge']);
    expect(window.dropped).toBe(1);
  });
});
