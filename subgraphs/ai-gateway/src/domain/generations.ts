import { newId, type Logger } from '@chatgraph/kit';
import { DuplicateKeyError, type DocumentStore } from '@chatgraph/kit/store';
import { insertWithOutbox } from '@chatgraph/kit/events';
import type { KvStore, Unsubscribe } from '@chatgraph/kit/kv';
import { GENERATION_CONTROL_CHANNEL, parseGenerationControl } from '@chatgraph/schema';
import type { GenerationRequested } from '../events';
import { FairQueue } from './fairQueue';
import { GenerationRunner, type AbortReason, type GenerationJob } from './generationRunner';
import type { ChatMessage } from '../providers/types';
import { sweepExpiredLeases, type LeaseSweepDeps } from './recovery';
import { pruneOldGenerations } from './retention';
import { OPEN_GENERATION, type AiGatewayCollections, type GenerationDoc } from '../store';

/**
 * This instance's generations: accepts requests (stores the leased document, queues the job),
 * runs at most `maxConcurrent` at once and at most `maxRunningPerUser` of one owner, picking the
 * next one round-robin by owner (fairQueue.ts) so one user's burst cannot hold every slot, aborts one at once when a `stop` for it arrives on the
 * control channel, renews the leases of its own generations and sweeps other instances' expired
 * ones. `stop()` drains: nothing new starts, running generations get `drainTimeoutMs` to finish,
 * then the rest (and everything still queued) end FAILED `interrupted`.
 */

export interface GenerationSchedulerOptions {
  kv: KvStore;
  store: DocumentStore;
  collections: AiGatewayCollections;
  runner: GenerationRunner;
  logger: Logger;
  now: () => Date;
  maxConcurrent: number;
  /** Generations of one owner this instance runs at once; their further ones wait while others run. */
  maxRunningPerUser: number;
  /** Queued generations beyond which `accept` waits for room (backpressure on the consumer). */
  maxQueued: number;
  leaseMs: number;
  heartbeatMs: number;
  sweepMs: number;
  /** Ended generations older than this are deleted by the sweep. */
  retentionMs: number;
  drainTimeoutMs: number;
  stream: { maxLen: number; retentionMs: number };
  eventsQueued: () => void;
}

const ROLES = { USER: 'user', ASSISTANT: 'assistant', SYSTEM: 'system' } as const;

/** The least time interrupted generations get to record their outcome, whatever DRAIN_TIMEOUT_MS says. */
const INTERRUPTED_GRACE_MS = 5000;

/** Waits for `work` at most `ms`; resolves true when the time ran out first. */
async function withinDrainTimeout(work: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    work.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), ms))),
  ]);
  clearTimeout(timer);
  return timedOut;
}

type State = 'idle' | 'running' | 'draining' | 'stopped';

export class GenerationScheduler {
  /** Every job of this instance, queued or running, by stream id. */
  private readonly jobs = new Map<string, GenerationJob>();
  private readonly queue = new FairQueue<GenerationJob>((job) => job.doc.ownerId);
  private readonly running = new Map<string, Promise<void>>();
  /** Running generations per owner (owners with none are absent). */
  private readonly runningPerOwner = new Map<string, number>();
  /**
   * Stream ids whose `accept` is under way (waiting for queue room or storing): a duplicate
   * delivery meanwhile is a no-op, like one of a job already here, instead of a second entry
   * that would replace the first in `jobs` (and leave it running with an unrenewed lease).
   */
  private readonly arriving = new Set<string>();
  private readonly instanceId = newId();
  private state: State = 'idle';
  private unsubscribe: Unsubscribe | undefined;
  private timers: NodeJS.Timeout[] = [];
  private stopping: Promise<void> | undefined;
  private accepting = true;
  private roomWaiters: Array<() => void> = [];
  private readonly sweepDeps: LeaseSweepDeps;
  private sweeping: Promise<number> | undefined;

  constructor(private readonly options: GenerationSchedulerOptions) {
    const { kv, collections, logger, now, stream, eventsQueued } = options;
    this.sweepDeps = { kv, collections, logger, now, stream, eventsQueued, leaseMs: options.leaseMs, isLocal: (id) => this.jobs.has(id) };
  }

  /** Generations queued or running here. */
  get activeCount(): number {
    return this.jobs.size;
  }

  /** `accept` calls waiting for queue room (the consumer is held). */
  get waitingForRoom(): number {
    return this.roomWaiters.length;
  }

  /** Listens for stops and starts the heartbeat and sweep timers. */
  async start(): Promise<void> {
    if (this.state !== 'idle') return;
    this.state = 'running';
    this.unsubscribe = await this.options.kv.subscribe(GENERATION_CONTROL_CHANNEL, (message) => this.onControl(message));
    this.timers.push(setInterval(() => void this.heartbeat(), this.options.heartbeatMs));
    this.timers.push(setInterval(() => void (this.sweeping ? undefined : this.sweep()), this.options.sweepMs));
    for (const timer of this.timers) timer.unref();
  }

  /** Stores the generation (leased to this instance) and queues it; a duplicate stream id throws DuplicateKeyError. */
  async accept(event: GenerationRequested): Promise<void> {
    const { streamId } = event.subject;
    // A redelivery of a request this instance has (or is taking in): nothing to do.
    if (this.jobs.has(streamId) || this.arriving.has(streamId)) return;
    // Reserved before the first await, so a duplicate during the wait below sees it.
    this.arriving.add(streamId);
    try {
      // Backpressure: the consumer waits here (the kit keeps its group membership alive meanwhile).
      while (this.accepting && this.queue.size >= this.options.maxQueued)
        await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
      if (this.state !== 'running' || !this.accepting) throw new Error('the generation scheduler is not accepting generations');
      await this.enqueue(event);
    } finally {
      this.arriving.delete(streamId);
    }
  }

  private async enqueue(event: GenerationRequested): Promise<void> {
    const now = this.options.now();
    const { subject, payload } = event;
    const doc: GenerationDoc = {
      _id: newId(),
      streamId: subject.streamId,
      conversationId: subject.conversationId,
      messageId: subject.messageId,
      ownerId: subject.ownerId,
      model: payload.model,
      generateTitle: payload.generateTitle ?? false,
      state: 'queued',
      instanceId: this.instanceId,
      leaseUntil: new Date(now.getTime() + this.options.leaseMs),
      createdAt: now,
      startedAt: null,
      endedAt: null,
      outcome: null,
      finishReason: null,
      deployment: null,
      title: null,
      streamClosed: false,
    };
    // The job is queued while its document is written, so the provider call starts without
    // waiting for the store; the job writes nothing until the document is stored (see `persisted`).
    const inserted = this.options.collections.generations.insertOne(insertWithOutbox(doc, []));
    const persisted = inserted.then(
      () => true,
      (error: unknown) => {
        if (error instanceof DuplicateKeyError) return false;
        throw error;
      },
    );
    // Handled here as well as by the runner: a queued job attaches its own handler only when it
    // starts, and a store failure before that would otherwise crash the process as unhandled.
    persisted.catch(() => undefined);
    const messages: ChatMessage[] = payload.messages.map((m) => ({ role: ROLES[m.role], content: m.content }));
    // Files are resolved by the runner (a store read, perhaps a wait): never on the consumer's path.
    const withFiles = payload.messages.some((m) => (m.fileIds?.length ?? 0) > 0);
    const job: GenerationJob = {
      doc,
      messages,
      ...(withFiles
        ? {
            attachments: {
              messages: payload.messages.map((m) => ({
                role: ROLES[m.role],
                content: m.content,
                ...(m.fileIds ? { fileIds: m.fileIds } : {}),
              })),
              estimatedPromptTokens: payload.estimatedPromptTokens,
            },
          }
        : {}),
      firstUserMessage: payload.messages.find((m) => m.role === 'USER')?.content ?? '',
      ...(payload.temperature !== undefined || payload.topP !== undefined
        ? {
            sampling: {
              ...(payload.temperature !== undefined ? { temperature: payload.temperature } : {}),
              ...(payload.topP !== undefined ? { topP: payload.topP } : {}),
            },
          }
        : {}),
      ...(payload.tools && payload.tools.length > 0
        ? {
            tools: {
              names: payload.tools,
              assistantId: payload.assistantId ?? null,
              scope: {
                // Every file attached in the request's history: the conversation's files the turn may search.
                attachedFileIds: [...new Set(payload.messages.flatMap((m) => (m.role === 'USER' ? (m.fileIds ?? []) : [])))],
                ...(payload.knowledge ? { knowledge: payload.knowledge } : {}),
              },
            },
          }
        : {}),
      controller: new AbortController(),
      persisted,
    };
    this.jobs.set(doc.streamId, job);
    this.queue.push(job);
    this.pump();
    try {
      await inserted;
    } catch (error) {
      // Not ours to run (a duplicate) or not stored (redelivered later): let go of the provider call.
      job.controller.abort('interrupted' satisfies AbortReason);
      throw error;
    }
  }

  /** Aborts a local generation (queued or running); resolves whether it was here. */
  abort(streamId: string, reason: AbortReason): boolean {
    const job = this.jobs.get(streamId);
    if (!job) return false;
    if (!job.controller.signal.aborted) job.controller.abort(reason);
    return true;
  }

  private onControl(message: string): void {
    const control = parseGenerationControl(message);
    if (!control) return;
    if (this.abort(control.streamId, 'stop'))
      this.options.logger.info({ streamId: control.streamId, requestedBy: control.requestedBy }, 'generation stopped by its owner');
  }

  /** Stops taking requests: waiting and later `accept` calls reject (the bus redelivers them). */
  refuseNew(): void {
    this.accepting = false;
    this.wakeRoomWaiters();
  }

  private wakeRoomWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }

  private pump(): void {
    // While draining every queued job is aborted and must run (to end FAILED) whatever its owner.
    const mayRun = (owner: string): boolean =>
      this.state === 'draining' || (this.runningPerOwner.get(owner) ?? 0) < this.options.maxRunningPerUser;
    while (this.running.size < this.options.maxConcurrent) {
      const job = this.queue.take(mayRun);
      if (!job) break;
      this.wakeRoomWaiters();
      const { streamId, ownerId } = job.doc;
      this.runningPerOwner.set(ownerId, (this.runningPerOwner.get(ownerId) ?? 0) + 1);
      const done = this.options.runner.run(job).finally(() => {
        this.running.delete(streamId);
        this.jobs.delete(streamId);
        const left = (this.runningPerOwner.get(ownerId) ?? 1) - 1;
        if (left > 0) this.runningPerOwner.set(ownerId, left);
        else this.runningPerOwner.delete(ownerId);
        if (this.state === 'running' || this.state === 'draining') this.pump();
      });
      this.running.set(streamId, done);
    }
  }

  /** Renews the lease of every generation this instance still holds, in one write. */
  async heartbeat(): Promise<void> {
    if (this.jobs.size === 0) return;
    const leaseUntil = new Date(this.options.now().getTime() + this.options.leaseMs);
    try {
      // Only live jobs: a generation whose runner gave up must expire and be swept.
      await this.options.collections.generations.updateMany(
        { instanceId: this.instanceId, streamId: { $in: [...this.jobs.keys()] }, ...OPEN_GENERATION },
        { $set: { leaseUntil } },
      );
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not renew generation leases');
    }
  }

  /**
   * Fails other instances' generations whose lease expired (resolves how many), then prunes old
   * ones. Passes never overlap: a call while one runs starts after it, and the timer skips its
   * turn while one runs (overlapping passes read and fight over the same generations when a pass
   * takes longer than the interval, after a crash, under load).
   */
  sweep(): Promise<number> {
    const run = (this.sweeping ?? Promise.resolve(0)).catch(() => 0).then(() => this.sweepOnce());
    this.sweeping = run;
    void run.finally(() => {
      if (this.sweeping === run) this.sweeping = undefined;
    });
    return run;
  }

  private async sweepOnce(): Promise<number> {
    let ended = 0;
    try {
      ended = await sweepExpiredLeases(this.sweepDeps);
      await pruneOldGenerations(
        this.options.store,
        this.options.collections,
        new Date(this.options.now().getTime() - this.options.retentionMs),
      );
    } catch (error) {
      this.options.logger.warn({ err: error }, 'generation sweep failed');
    }
    return ended;
  }

  /** Drains (see the class comment). Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.state === 'idle') {
        this.state = 'stopped';
        return;
      }
      this.refuseNew();
      this.state = 'draining';
      // Queued jobs never started: end them now rather than after the running ones.
      for (const job of this.queue.items()) job.controller.abort('interrupted' satisfies AbortReason);
      this.pump();
      const all = async (): Promise<void> => {
        while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
      };
      const timedOut = await withinDrainTimeout(all(), this.options.drainTimeoutMs);
      if (timedOut) {
        for (const streamId of this.jobs.keys()) this.abort(streamId, 'interrupted');
        // An aborted runner stuck in a store or kv call (a server restarting) would hold the
        // process forever: after another timeout it is left to the next instance's lease sweep.
        if (await withinDrainTimeout(all(), Math.max(this.options.drainTimeoutMs, INTERRUPTED_GRACE_MS))) {
          this.options.logger.warn(
            { streamIds: [...this.running.keys()] },
            'generations did not end after being interrupted; left to the lease sweep',
          );
        }
      }
      for (const t of this.timers) clearInterval(t);
      this.timers = [];
      await this.unsubscribe?.();
      this.state = 'stopped';
    })();
    return this.stopping;
  }
}
