import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { eventually, thing, unique, uniqueTopic } from './helpers';
import { requireKafka, testKafkaBus } from './kafkaSetup';

/**
 * Two members of one consumer group in two processes share a topic's partitions on Kafka: each
 * event is handled exactly once overall, and both members handle some. (The embedded bus is
 * single-process by design; its contract suite covers two members in one process.)
 */

const workspaceRoot = resolve(__dirname, '../../../..');
const childScript = join(__dirname, 'kafkaGroupMember.ts');

interface Member {
  child: ChildProcess;
  lines: string[];
  stderr: string;
  exited: Promise<number | null>;
}

function startMember(topic: string, groupId: string): Member {
  // tsx resolves from the workspace root, where it is installed.
  const child = spawn(process.execPath, ['--import', 'tsx', childScript, topic, groupId], {
    cwd: workspaceRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const member: Member = { child, lines: [], stderr: '', exited: new Promise((done) => child.on('exit', (code) => done(code))) };
  let pending = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    member.lines.push(...lines);
  });
  child.stderr?.on('data', (chunk: Buffer) => (member.stderr += chunk.toString()));
  return member;
}

function handledIds(member: Member): string[] {
  return member.lines.filter((line) => line.startsWith('handled ')).map((line) => line.split(' ')[1] ?? '');
}

beforeAll(requireKafka);

describe('Kafka consumer group across processes', () => {
  const members: Member[] = [];

  afterEach(async () => {
    for (const member of members.splice(0)) if (member.child.exitCode === null) member.child.kill('SIGKILL');
  });

  it('shares the partitions between two processes: each event handled once, by one of them', async () => {
    const topic = uniqueTopic('shared');
    const groupId = unique('two-processes');
    const bus = testKafkaBus();
    await bus.start();
    try {
      for (let n = 0; n < 2; n++) {
        const member = startMember(topic, groupId);
        members.push(member);
        await eventually(() => member.lines.includes('joined') || member.child.exitCode !== null, `member ${n} to join`, 60_000);
        if (!member.lines.includes('joined')) throw new Error(`member ${n} failed: ${member.stderr}`);
      }
      const events = Array.from({ length: 60 }, (_, n) => thing(`conversation-${n}`, n));
      await bus.publish(topic, events);
      const [first, second] = members as [Member, Member];
      await eventually(() => handledIds(first).length + handledIds(second).length >= events.length, 'every event to be handled', 60_000);

      const all = [...handledIds(first), ...handledIds(second)];
      expect([...all].sort()).toEqual(events.map(({ event }) => event.id).sort());
      expect(handledIds(first).length).toBeGreaterThan(0);
      expect(handledIds(second).length).toBeGreaterThan(0);
      // Each partition belonged to one member.
      const partitionsOf = (member: Member) =>
        new Set(member.lines.filter((line) => line.startsWith('handled ')).map((line) => line.split(' ')[2]));
      const overlap = [...partitionsOf(first)].filter((partition) => partitionsOf(second).has(partition));
      expect(overlap).toEqual([]);

      for (const member of members) member.child.kill('SIGTERM');
      expect(await Promise.all(members.map((member) => member.exited))).toEqual([0, 0]);
      expect(members.every((member) => member.lines.includes('stopped'))).toBe(true);
    } finally {
      await bus.stop();
    }
  });
});
