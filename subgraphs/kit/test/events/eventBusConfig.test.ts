import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger, eventBusConfigSpec, eventBusFromConfig, loadConfig } from '../../src';

const logger = createLogger({ name: 'test', level: 'silent' });

describe('eventBusFromConfig', () => {
  it('defaults to the embedded bus under <DATA_DIR>/<service>/events', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'bus-config-'));
    const config = { ...loadConfig(eventBusConfigSpec, {}), DATA_DIR: dataDir };
    expect(config.EVENT_BUS).toBe('embedded');
    const bus = eventBusFromConfig(config, 'svc', logger);
    await bus.start();
    await bus.publish('svc.thing.v1', [{ key: 'k', event: { id: 'e1', type: 'thing.happened', occurredAt: new Date().toISOString(), subject: { thingId: 'k' }, payload: { n: 1 } } }]);
    await bus.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('needs brokers for EVENT_BUS=kafka', () => {
    expect(() => eventBusFromConfig({ EVENT_BUS: 'kafka', KAFKA_BROKERS: ' , ', DATA_DIR: '.' }, 'svc', logger)).toThrow(/KAFKA_BROKERS/);
  });
});
