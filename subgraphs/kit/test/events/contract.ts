import type { EventBus } from '../../src/events';
import { deliveryContract } from './contractDelivery';
import { groupContract } from './contractGroups';
import { lifecycleContract } from './contractLifecycle';
import type { BusFactory } from './helpers';

export type { BusFactory } from './helpers';

/** What each contract test gets: buses that share one backing store, stopped after the test. */
export interface ContractContext {
  /** Creates and starts a bus on the test's backing store. */
  open(): Promise<EventBus>;
  /** Creates a bus without starting it. */
  create(): EventBus;
}

/**
 * The behaviour every `EventBus` adapter must show, as a reusable jest suite: publish/consume,
 * validation, trace context, consumer groups, per-key order, redelivery, dead letters, restart
 * from committed offsets and draining stop. `makeBus` returns a factory of buses on one fresh
 * backing store (a data directory, or the Kafka cluster) and its cleanup.
 *
 * Usage: `describeEventBusContract('embedded', async () => ({ create, cleanup }))`.
 */
export function describeEventBusContract(name: string, makeBus: () => Promise<BusFactory>): void {
  describe(`EventBus contract: ${name}`, () => {
    let factory: BusFactory | undefined;
    let buses: EventBus[] = [];

    const create = (): EventBus => {
      if (!factory) throw new Error('the contract bus factory is not set up');
      const bus = factory.create();
      buses.push(bus);
      return bus;
    };
    const ctx: ContractContext = {
      create,
      open: async () => {
        const bus = create();
        await bus.start();
        return bus;
      },
    };

    beforeEach(async () => {
      factory = await makeBus();
    });

    afterEach(async () => {
      const done = buses;
      buses = [];
      await Promise.all(done.map((bus) => bus.stop()));
      await factory?.cleanup();
      factory = undefined;
    });

    describe('delivery', () => deliveryContract(ctx));
    describe('consumer groups', () => groupContract(ctx));
    describe('lifecycle', () => lifecycleContract(ctx));
  });
}
