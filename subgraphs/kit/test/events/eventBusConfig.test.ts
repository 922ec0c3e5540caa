import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ConfigError, createLogger, loadConfig } from '../../src';
import { eventBusConfigSpec, eventBusFromConfig, kafkaConsumerTuning } from '../../src/events';
import { eventually } from './helpers';

const logger = createLogger({ name: 'test', level: 'silent' });

describe('eventBusFromConfig', () => {
  it('defaults to the embedded bus under <DATA_DIR>/<service>/events', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'bus-config-'));
    const config = { ...loadConfig(eventBusConfigSpec, {}), DATA_DIR: dataDir };
    expect(config.EVENT_BUS).toBe('embedded');
    const bus = eventBusFromConfig(config, 'svc', logger);
    await bus.start();
    await bus.publish('svc.thing.v1', [
      {
        key: 'k',
        event: { id: 'e1', type: 'thing.happened', occurredAt: new Date().toISOString(), subject: { thingId: 'k' }, payload: { n: 1 } },
      },
    ]);
    await bus.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('applies EVENT_RETENTION_MS and EVENT_RETENTION_MIN_RECORDS to the embedded bus', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'bus-config-'));
    const config = { ...loadConfig(eventBusConfigSpec, { EVENT_RETENTION_MS: '0', EVENT_RETENTION_MIN_RECORDS: '1' }), DATA_DIR: dataDir };
    const bus = eventBusFromConfig(config, 'svc', logger);
    await bus.start();
    let handled = 0;
    const subscription = await bus.subscribe({ groupId: 'g', topics: ['svc.thing.v1'], handler: async () => void handled++ });
    await bus.publish(
      'svc.thing.v1',
      [1, 2, 3].map((n) => ({
        key: 'k',
        event: { id: `e${n}`, type: 'thing.happened', occurredAt: new Date().toISOString(), subject: { thingId: 'k' }, payload: { n } },
      })),
    );
    await eventually(() => handled === 3, 'the three events');
    await subscription.stop();
    await bus.stop();
    // Handled and past a retention of 0 ms: only the newest record of the partition is kept.
    const db = new DatabaseSync(path.join(dataDir, 'svc', 'events', 'events.db'), { readOnly: true });
    expect(
      db
        .prepare('SELECT seq FROM records')
        .all()
        .map((row) => row.seq),
    ).toEqual([2]);
    db.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('needs brokers for EVENT_BUS=kafka', () => {
    expect(() => eventBusFromConfig({ EVENT_BUS: 'kafka', KAFKA_BROKERS: ' , ', DATA_DIR: '.' }, 'svc', logger)).toThrow(/KAFKA_BROKERS/);
  });

  it("gives Kafka consumers a session far below kafkajs's 30 s by default, configurable, with heartbeats at least three per session", () => {
    // A SIGKILLed instance's partitions stay with its dead member for a whole session.
    const defaults = kafkaConsumerTuning(loadConfig(eventBusConfigSpec, {}));
    expect(defaults.sessionTimeoutMs).toBeLessThanOrEqual(10_000);
    expect((defaults.heartbeatIntervalMs ?? 0) * 3).toBeLessThanOrEqual(defaults.sessionTimeoutMs ?? 0);
    expect(
      kafkaConsumerTuning(loadConfig(eventBusConfigSpec, { KAFKA_SESSION_TIMEOUT_MS: '6000', KAFKA_HEARTBEAT_INTERVAL_MS: '500' })),
    ).toEqual({ sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 });
    expect(() =>
      kafkaConsumerTuning(loadConfig(eventBusConfigSpec, { KAFKA_SESSION_TIMEOUT_MS: '6000', KAFKA_HEARTBEAT_INTERVAL_MS: '3000' })),
    ).toThrow(ConfigError);
    expect(() => loadConfig(eventBusConfigSpec, { KAFKA_SESSION_TIMEOUT_MS: 'soon' })).toThrow(/KAFKA_SESSION_TIMEOUT_MS/);
    expect(() =>
      eventBusFromConfig(
        {
          EVENT_BUS: 'kafka',
          KAFKA_BROKERS: '127.0.0.1:1',
          KAFKA_SESSION_TIMEOUT_MS: 6000,
          KAFKA_HEARTBEAT_INTERVAL_MS: 2500,
          DATA_DIR: '.',
        },
        'svc',
        logger,
      ),
    ).toThrow(/KAFKA_HEARTBEAT_INTERVAL_MS/);
  });
});
