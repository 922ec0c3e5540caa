import { KafkaJSProtocolError } from 'kafkajs';
import { isTransientJoinError, startWithRetries } from '../../src/events/kafka/joinRetry';

/** A kafkajs protocol error as the broker's answer arrives (`type` names the error code). */
function brokerSays(type: string): Error {
  const error = new KafkaJSProtocolError(`broker said ${type}`);
  Object.assign(error, { type });
  return error;
}

describe('joining a consumer group again on the broker’s "not yet" answers', () => {
  const noWait = (): Promise<void> => Promise.resolve();
  const policy = { attempts: 4, firstDelayMs: 100 };

  it('tries again after "This server does not host this topic-partition" and succeeds, with doubling waits', async () => {
    const waits: number[] = [];
    const retried: number[] = [];
    let tries = 0;
    const joined = await startWithRetries(
      async () => {
        tries += 1;
        if (tries < 3) throw new Error('joining failed', { cause: brokerSays('UNKNOWN_TOPIC_OR_PARTITION') });
        return 'member';
      },
      (_error, attempt) => retried.push(attempt),
      policy,
      async (ms) => void waits.push(ms),
    );
    expect({ joined, tries, retried, waits }).toEqual({ joined: 'member', tries: 3, retried: [1, 2], waits: [100, 200] });
  });

  it('gives up after its tries with the last error, and never retries what is not transient', async () => {
    let tries = 0;
    await expect(
      startWithRetries(
        async () => {
          tries += 1;
          throw brokerSays('LEADER_NOT_AVAILABLE');
        },
        () => undefined,
        policy,
        noWait,
      ),
    ).rejects.toMatchObject({ type: 'LEADER_NOT_AVAILABLE' });
    expect(tries).toBe(4);

    tries = 0;
    const denied = brokerSays('GROUP_AUTHORIZATION_FAILED');
    await expect(
      startWithRetries(
        async () => {
          tries += 1;
          throw denied;
        },
        () => undefined,
        policy,
        noWait,
      ),
    ).rejects.toBe(denied);
    expect(tries).toBe(1);
    expect([isTransientJoinError(new Error('no type')), isTransientJoinError(brokerSays('NOT_COORDINATOR'))]).toEqual([false, true]);
  });
});
