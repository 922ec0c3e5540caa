import { existsSync } from 'node:fs';
import { SUBGRAPHS as COMPOSED } from '@chatgraph/schema/subgraphs';
import { camelCase, defaultPort, SUBGRAPHS } from '../src';

/** The launchers' list and composition's list (schema/subgraphs.ts) must name the same subgraphs: a subgraph added to one only would be run uncomposed, or composed and never run. */
describe('the launchers’ subgraph list', () => {
  it('names the subgraphs composition composes, in the same order, on the same distributed ports', () => {
    expect(SUBGRAPHS.map((subgraph) => [subgraph.name, defaultPort(subgraph)])).toEqual(COMPOSED.map((entry) => [entry.name, entry.port]));
  });

  it('points at each subgraph’s main.ts and README, and reads its port from its own config', () => {
    for (const subgraph of SUBGRAPHS) {
      expect(existsSync(subgraph.main)).toBe(true);
      expect(existsSync(subgraph.readme)).toBe(true);
      expect(Object.keys(subgraph.configSpec)).toContain(subgraph.portVariable);
    }
  });

  it('gives every subgraph a distinct property on the embedded stack', () => {
    expect(SUBGRAPHS.map(({ name }) => camelCase(name))).toEqual([
      'identity',
      'conversation',
      'aiGateway',
      'streaming',
      'rateLimit',
      'search',
      'notification',
      'assistant',
      'file',
    ]);
  });
});
