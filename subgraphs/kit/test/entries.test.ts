/* eslint-disable no-restricted-imports -- this test reads the kit by its package name, through package.json `exports`, as a service does */
import * as root from '@chatgraph/kit';
import * as blob from '@chatgraph/kit/blob';
import * as events from '@chatgraph/kit/events';
import * as kv from '@chatgraph/kit/kv';
import * as limits from '@chatgraph/kit/limits';
import * as mail from '@chatgraph/kit/mail';
import * as search from '@chatgraph/kit/search';
import * as store from '@chatgraph/kit/store';
import * as core from '../src/core';

/**
 * The kit's entries as consumers import them, by package name (package.json `exports`): each
 * port has its own sub-path, the core holds none of them, and no name is exported by two entries
 * (the codemod scripts/codemods/kit-subpaths.ts maps every name to exactly one entry).
 */

const ports = { store, events, kv, limits, search, blob, mail };

describe('kit entries', () => {
  it('resolves every sub-path to its port', () => {
    expect(typeof store.createEmbeddedStore).toBe('function');
    expect(typeof store.documentStoreFromConfig).toBe('function');
    expect(typeof events.createEmbeddedEventBus).toBe('function');
    expect(typeof events.eventBusFromConfig).toBe('function');
    expect(typeof kv.createEmbeddedKv).toBe('function');
    expect(typeof kv.kvStoreFromConfig).toBe('function');
    expect(Array.isArray(limits.DEFAULT_POLICIES)).toBe(true);
    expect(typeof search.createEmbeddedSearchIndex).toBe('function');
    expect(typeof blob.createLocalBlobStore).toBe('function');
    expect(typeof mail.createMailer).toBe('function');
  });

  it('keeps the ports out of the core entry', () => {
    for (const [name, entry] of Object.entries(ports)) {
      const shared = Object.keys(entry).filter((key) => key in core);
      expect({ name, shared }).toEqual({ name, shared: [] });
    }
  });

  it('exports each name from one entry only', () => {
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const [name, entry] of Object.entries({ core, ...ports })) {
      for (const key of Object.keys(entry)) {
        if (seen.has(key)) twice.push(`${key}: ${seen.get(key)} and ${name}`);
        seen.set(key, name);
      }
    }
    expect(twice).toEqual([]);
  });

  it('serves the core, and only the core, from the root', () => {
    expect(Object.keys(root).sort()).toEqual(Object.keys(core).sort());
  });
});
