import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { EventEnvelope } from '@chatgraph/schema';
import { DEAD_LETTER_HEADERS } from './delivery';
import { DB_FILE } from './embedded/eventDb';
import { deadLetterTopic } from './names';
import type { EventBus, EventDelivery, EventHeaders } from './port';

/**
 * Operator tooling for dead letters (`<topic>.dlq`): list them, and replay them to the topic they
 * failed on once the cause is fixed. Works on any bus through the port (Kafka, or an embedded bus
 * the caller started), and lists an embedded bus's directory directly, read-only, even while the
 * application runs. A replayed event keeps its id, so idempotent handlers that did handle it
 * meanwhile skip it.
 */

/** Group that replays every dead letter once: its committed offset is how far replay got. */
export const REPLAY_GROUP = 'chatgraph-dlq-replay';

/** Header a replayed event carries: the dead letter it came from (`<dlq topic>/<partition>/<offset>`). */
export const REPLAYED_FROM_HEADER = 'replayed-from';

/** A dead-lettered event and why it failed. */
export interface DeadLetter {
  /** The dead-letter topic (`<topic>.dlq`). */
  topic: string;
  partition: number;
  offset: string;
  key: string;
  event: EventEnvelope;
  headers: EventHeaders;
  /** Where it failed (the topic it is replayed to). */
  originalTopic: string;
  groupId: string | undefined;
  error: string | undefined;
  attempts: number | undefined;
  failedAt: string | undefined;
}

function letter(topic: string, partition: number, offset: string, key: string, event: EventEnvelope, headers: EventHeaders): DeadLetter {
  const attempts = headers[DEAD_LETTER_HEADERS.attempts];
  return {
    topic,
    partition,
    offset,
    key,
    event,
    headers,
    originalTopic: headers[DEAD_LETTER_HEADERS.originalTopic] ?? topic.replace(/\.dlq$/, ''),
    groupId: headers[DEAD_LETTER_HEADERS.groupId],
    error: headers[DEAD_LETTER_HEADERS.errorMessage] ?? headers[DEAD_LETTER_HEADERS.error],
    attempts: attempts === undefined ? undefined : Number(attempts),
    failedAt: headers[DEAD_LETTER_HEADERS.failedAt],
  };
}

/** The dead-letter topic of `topic` (given as the topic, or as its `.dlq` already). */
export function dlqOf(topic: string): string {
  return topic.endsWith('.dlq') ? topic : deadLetterTopic(topic);
}

/** Reads every dead letter of an embedded bus directory straight from `events.db` (read-only: safe while the bus runs). */
function listFromDirectory(dir: string, dlq: string): DeadLetter[] {
  if (!existsSync(join(dir, DB_FILE)))
    throw new Error(`no embedded event log in ${dir} (${DB_FILE} is missing; a bus creates it on its first start)`);
  const db = new DatabaseSync(join(dir, DB_FILE), { readOnly: true });
  try {
    const rows = db.prepare('SELECT part, seq, key, value, headers FROM records WHERE topic = ? ORDER BY part, seq').all(dlq);
    return rows.map((row) =>
      letter(
        dlq,
        Number(row.part),
        String(row.seq),
        String(row.key),
        JSON.parse(String(row.value)) as EventEnvelope,
        JSON.parse(String(row.headers)) as EventHeaders,
      ),
    );
  } finally {
    db.close();
  }
}

/**
 * Consumes `dlq` with `groupId` until the group has caught up, handing each delivery to `each`.
 * A new group starts at the oldest retained event.
 */
async function drain(bus: EventBus, dlq: string, groupId: string, each: (delivery: EventDelivery) => Promise<void>): Promise<void> {
  const subscription = await bus.subscribe({ groupId, topics: [dlq], maxAttempts: 1_000_000, handler: each });
  try {
    // Caught up: every partition's committed offset at its end. Polled: the port has no "caught up" signal.
    while ((await subscription.lag()).some((partition) => partition.lag > 0)) await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    await subscription.stop();
  }
}

/**
 * The dead letters of `topic`, oldest first per partition. `source` is a started bus (read with
 * a throwaway consumer group: on Kafka it stays until the broker expires unused group offsets)
 * or an embedded bus directory (read directly).
 */
export async function listDeadLetters(source: EventBus | string, topic: string): Promise<DeadLetter[]> {
  const dlq = dlqOf(topic);
  if (typeof source === 'string') return listFromDirectory(source, dlq);
  const letters: DeadLetter[] = [];
  await drain(source, dlq, `chatgraph-dlq-list-${randomBytes(6).toString('hex')}`, async (delivery) => {
    letters.push(letter(dlq, delivery.partition, delivery.offset, delivery.key, delivery.event, delivery.headers));
  });
  return letters.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
}

export interface ReplayOptions {
  /** Replay only the dead letter(s) at this offset (on `partition` if given); without it, every dead letter not replayed yet. */
  offset?: string;
  partition?: number;
  /** Where to read the dead letters for `offset` (default: `bus`); an embedded directory is read directly. */
  source?: EventBus | string;
}

async function republish(bus: EventBus, dead: DeadLetter): Promise<void> {
  const headers: EventHeaders = { [REPLAYED_FROM_HEADER]: `${dead.topic}/${dead.partition}/${dead.offset}` };
  const traceparent = dead.headers.traceparent;
  if (traceparent) headers.traceparent = traceparent;
  await bus.publish(dead.originalTopic, [{ key: dead.key, event: dead.event, headers }]);
}

/**
 * Publishes dead letters of `topic` again to the topic they failed on and returns them. Without
 * `offset`, every dead letter the replay group has not replayed yet (so running it twice replays
 * each once); with `offset`, exactly that one (again, if asked again).
 */
export async function replayDeadLetters(bus: EventBus, topic: string, options: ReplayOptions = {}): Promise<DeadLetter[]> {
  const dlq = dlqOf(topic);
  if (options.offset !== undefined) {
    const chosen = (await listDeadLetters(options.source ?? bus, dlq)).filter(
      (dead) => dead.offset === options.offset && (options.partition === undefined || dead.partition === options.partition),
    );
    for (const dead of chosen) await republish(bus, dead);
    return chosen;
  }
  const replayed: DeadLetter[] = [];
  await drain(bus, dlq, REPLAY_GROUP, async (delivery) => {
    const dead = letter(dlq, delivery.partition, delivery.offset, delivery.key, delivery.event, delivery.headers);
    await republish(bus, dead);
    replayed.push(dead);
  });
  return replayed;
}
