/**
 * `pnpm dlq`: list and replay dead-lettered events (`<topic>.dlq`), on the embedded bus or Kafka.
 *
 *   pnpm dlq list <topic>                                  the dead letters of <topic>, oldest first
 *   pnpm dlq replay <topic>                                every dead letter not replayed yet, to <topic>
 *   pnpm dlq replay <topic> --offset <n> [--partition <p>] that one again
 *
 * EVENT_BUS=kafka (with KAFKA_BROKERS, KAFKA_NAMESPACE) works on Kafka; otherwise on the embedded
 * bus in EVENT_DIR (default `<DATA_DIR>/events`, the bus `pnpm start` shares; a service run on
 * its own keeps it in `<DATA_DIR>/<service>/events`). `list` reads the embedded files directly,
 * also while the application runs; `replay` opens the bus, so stop the application first (one
 * process per directory). Replayed events keep their ids: idempotent handlers skip any they did
 * handle meanwhile.
 */
import path from 'node:path';
import { loadConfig, oneOf, optional, str } from '@chatgraph/kit';
import {
  createEmbeddedEventBus,
  createKafkaEventBus,
  listDeadLetters,
  replayDeadLetters,
  type DeadLetter,
  type EventBus,
} from '@chatgraph/kit/events';

const spec = {
  EVENT_BUS: oneOf(['embedded', 'kafka'] as const, { description: 'which bus holds the dead letters', default: 'embedded' }),
  KAFKA_BROKERS: str({ description: 'Kafka brokers (comma-separated host:port)', default: '127.0.0.1:9092' }),
  KAFKA_NAMESPACE: optional(str({ description: 'prefix of the Kafka topics and groups' })),
  DATA_DIR: str({ description: 'data directory of the embedded adapters', default: '.data' }),
  EVENT_DIR: optional(str({ description: 'the embedded bus directory (default <DATA_DIR>/events)' })),
};

const USAGE = 'usage: pnpm dlq list <topic> | pnpm dlq replay <topic> [--offset <n>] [--partition <p>]';

interface Command {
  action: 'list' | 'replay';
  topic: string;
  offset?: string;
  partition?: number;
}

/** Parses the arguments, or throws the usage with what is wrong. */
function parse(args: readonly string[]): Command {
  const [action, topic, ...rest] = args;
  if ((action !== 'list' && action !== 'replay') || !topic || topic.startsWith('--')) throw new Error(USAGE);
  const command: Command = { action, topic };
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if (action !== 'replay' || value === undefined || !/^\d+$/.test(value)) throw new Error(`${flag ?? ''} needs a number (${USAGE})`);
    if (flag === '--offset') command.offset = value;
    else if (flag === '--partition') command.partition = Number(value);
    else throw new Error(`unknown option ${flag ?? ''} (${USAGE})`);
  }
  if (command.partition !== undefined && command.offset === undefined) throw new Error(`--partition needs --offset (${USAGE})`);
  return command;
}

function show(letters: readonly DeadLetter[]): void {
  for (const dead of letters) {
    console.log(
      `${dead.topic} ${dead.partition}/${dead.offset}  ${dead.failedAt ?? '-'}  group ${dead.groupId ?? '-'}  attempts ${dead.attempts ?? '-'}  ${dead.event.type} ${dead.event.id}  -> ${dead.originalTopic}: ${dead.error ?? '(no error recorded)'}`,
    );
  }
}

async function main(): Promise<void> {
  const command = parse(process.argv.slice(2));
  const config = loadConfig(spec, process.env);
  const dir = config.EVENT_DIR ?? path.join(config.DATA_DIR, 'events');
  const bus: EventBus =
    config.EVENT_BUS === 'kafka'
      ? createKafkaEventBus({
          brokers: config.KAFKA_BROKERS.split(',').map((broker) => broker.trim()),
          clientId: 'chatgraph-dlq',
          namespace: config.KAFKA_NAMESPACE,
        })
      : createEmbeddedEventBus({ dataDir: dir });
  if (command.action === 'list' && config.EVENT_BUS === 'embedded') {
    const letters = await listDeadLetters(dir, command.topic);
    show(letters);
    console.log(`${letters.length} dead letter(s)`);
    return;
  }
  await bus.start();
  try {
    if (command.action === 'list') {
      const letters = await listDeadLetters(bus, command.topic);
      show(letters);
      console.log(`${letters.length} dead letter(s)`);
    } else {
      const replayed = await replayDeadLetters(bus, command.topic, { offset: command.offset, partition: command.partition });
      show(replayed);
      console.log(`${replayed.length} dead letter(s) replayed`);
    }
  } finally {
    await bus.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
