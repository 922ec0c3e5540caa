/**
 * A consumer-group member in its own process, for kafkaGroupMembers.real.test.ts:
 *   node --import tsx kafkaGroupMember.ts <topic> <groupId>
 * Prints `joined` once in the group, `handled <eventId> <partition>` per event, and `stopped`
 * after a SIGTERM drained it.
 */
import { testKafkaBus } from './kafkaSetup';

async function main(): Promise<void> {
  const [topic, groupId] = process.argv.slice(2);
  if (!topic || !groupId) throw new Error('usage: kafkaGroupMember.ts <topic> <groupId>');
  const bus = testKafkaBus();
  await bus.start();
  await bus.subscribe({
    groupId,
    topics: [topic],
    handler: async ({ event, partition }) => {
      process.stdout.write(`handled ${event.id} ${partition}\n`);
    },
  });
  process.stdout.write('joined\n');
  process.once('SIGTERM', () => {
    void bus.stop().then(() => {
      process.stdout.write('stopped\n');
      process.exit(0);
    });
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
