import type { Logger } from '@chatgraph/kit';
import type { SearchIndex, StoredSearchDocument } from '@chatgraph/kit/search';
import type { Embedder } from './embedding';

/** The keyword field recording each document's embedding model (searchIndexDefinition declares it). */
export const EMBEDDING_MODEL_FIELD = 'embeddingModel';

/** A conversation's tags as words (definition.ts): searchable, not part of its embedding. */
const TAGS_TEXT_FIELD = 'tags';

export interface ReembeddingOptions {
  index: SearchIndex;
  embedder: Embedder;
  logger: Logger;
  /** Documents per step (one embeddings call, one bulk write). */
  batchSize: number;
  /** Pause once nothing is left, or after the embedder could not answer. */
  intervalMs: number;
}

/** What one step did. */
export interface ReembeddingStep {
  /** Documents found with another model than the current one (or marked pending). */
  scanned: number;
  /** Of those, written with the new vectors (the rest were written by the consumer meanwhile). */
  written: number;
}

/**
 * The background pass that keeps every document embedded by the current model: it scans, in id
 * order and `batchSize` at a time, the documents whose `embeddingModel` is another (a model
 * change in the catalog or in SEARCH_EMBEDDING_MODEL, or `(pending)` when ai-gateway was down at
 * indexing time), embeds their text and writes them back with the new vectors and model. Queries
 * compare only vectors of the query's model, so until a document is reached it is found by its
 * words, never by a vector of another model.
 *
 * The pass rewrites a document it read; the indexing consumer may write that document (an edit,
 * a deletion) in between. So the consumer writes through `track(index)`, which notes the ids and
 * owners it writes while a step runs, and the step leaves those documents alone: the consumer's
 * write is the newer one. (This holds within one process: run the pass on one instance only.)
 */
export class Reembedding {
  private readonly touchedIds = new Set<string>();
  private readonly touchedOwners = new Set<string>();
  private tracking = false;
  private after: string | null = null;
  private running: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(private readonly options: ReembeddingOptions) {}

  /** `index` as the indexing consumer must use it: its writes during a step win over the step's. */
  track(index: SearchIndex): SearchIndex {
    const noteIds = (ids: Iterable<string>): void => {
      if (this.tracking) for (const id of ids) this.touchedIds.add(id);
    };
    const noteOwner = (ownerId: string): void => {
      if (this.tracking) this.touchedOwners.add(ownerId);
    };
    return {
      definition: index.definition,
      start: () => index.start(),
      stop: () => index.stop(),
      ping: () => index.ping(),
      refresh: () => index.refresh(),
      search: (request) => index.search(request),
      scanNotMatching: (field, values, after, size) => index.scanNotMatching(field, values, after, size),
      get: (ownerId, ids) => index.get(ownerId, ids),
      matchingIds: (ownerId, filters, limit) => index.matchingIds(ownerId, filters, limit),
      upsert: (docs, options) => {
        noteIds(docs.map((doc) => doc.id));
        return index.upsert(docs, options);
      },
      delete: (ids, options) => {
        noteIds(ids);
        return index.delete(ids, options);
      },
      deleteByOwner: (ownerId, options) => {
        noteOwner(ownerId);
        return index.deleteByOwner(ownerId, options);
      },
      deleteMatching: (ownerId, keywords, options) => {
        noteOwner(ownerId);
        return index.deleteMatching(ownerId, keywords, options);
      },
    };
  }

  /**
   * One step: up to `batchSize` (default the configured one) documents of another model embedded again. Throws the
   * embedder's `EmbeddingUnavailableError` when it cannot answer (nothing is written then).
   */
  async step(batchSize = this.options.batchSize): Promise<ReembeddingStep> {
    const { index, embedder } = this.options;
    const model = await embedder.currentModel();
    // Tracking starts before the scan: a consumer's write after the read is always seen.
    this.tracking = true;
    this.touchedIds.clear();
    this.touchedOwners.clear();
    try {
      const docs = await index.scanNotMatching(EMBEDDING_MODEL_FIELD, [model], this.after, batchSize);
      if (docs.length === 0) {
        // Back to the first id: documents written meanwhile are picked up by the next round.
        this.after = null;
        return { scanned: 0, written: 0 };
      }
      const embedded = await embedder.embed(docs.map(textOf));
      const fresh = docs.flatMap((doc, i) => {
        if (this.touchedIds.has(doc.id) || this.touchedOwners.has(doc.ownerId)) return [];
        const vector = embedded.vectors[i];
        return [{ ...doc, keywords: { ...doc.keywords, [EMBEDDING_MODEL_FIELD]: embedded.model }, ...(vector ? { vector } : {}) }];
      });
      if (fresh.length > 0) await index.upsert(fresh);
      this.after = docs[docs.length - 1]?.id ?? null;
      return { scanned: docs.length, written: fresh.length };
    } finally {
      this.tracking = false;
      this.touchedIds.clear();
      this.touchedOwners.clear();
    }
  }

  /** Steps of `batchSize` until one finds nothing (tests, benchmarks); returns how many documents were written. */
  async drain(batchSize = this.options.batchSize): Promise<number> {
    let written = 0;
    for (;;) {
      const step = await this.step(batchSize);
      if (step.scanned === 0) return written;
      written += step.written;
    }
  }

  /** Runs steps in the background until `stop()`; a batch size of 0 runs nothing. */
  start(): void {
    if (this.running || this.options.batchSize === 0) return;
    this.stopped = false;
    this.running = this.loop();
  }

  /** Stops after the step in flight. Safe to call twice. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
    this.running = undefined;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let pause = false;
      try {
        const step = await this.step();
        if (step.written > 0) this.options.logger.info(step, 're-embedded documents of another embedding model');
        pause = step.scanned === 0;
      } catch (error) {
        this.options.logger.warn({ err: error instanceof Error ? error.message : error }, 're-embedding paused: embeddings unavailable');
        pause = true;
      }
      if (pause && !this.stopped)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.options.intervalMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      this.wake = undefined;
    }
  }
}

/**
 * The text a document is embedded from, as the indexing consumer embeds it: its text fields (a
 * message's content, a file chunk's content, a conversation's title), not a conversation's tags,
 * which are indexed as words but never embedded (conversationIndexing.ts).
 */
export function textOf(doc: StoredSearchDocument): string {
  return Object.entries(doc.text)
    .filter(([field]) => field !== TAGS_TEXT_FIELD)
    .map(([, text]) => text)
    .join('\n');
}
