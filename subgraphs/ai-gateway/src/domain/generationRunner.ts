import type { Logger } from '@chatgraph/kit';
import { updateWithOutbox, type OutboxEvent } from '@chatgraph/kit/events';
import type { KvStore } from '@chatgraph/kit/kv';
import { tokenStreamKey, tokenStreamStopKey, type TokenStreamOutcome } from '@chatgraph/schema';
import type { DeploymentRegistry } from '../deployments';
import { generationCompleted, generationFailed, generationStarted, titleGenerated } from '../outboxEvents';
import type { ChatMessage } from '../providers/types';
import type { AttachmentResolver, RequestMessage } from './attachments';
import { generateRouted, type GenerationResult, type RetryPolicy } from './routedGeneration';
import { OPEN_GENERATION, type AiGatewayCollections, type GenerationDoc } from '../store';
import type { TitleGenerator } from './titles';
import { TokenStreamWriter } from '../tokenStreamWriter';
import type { FileSearchScope } from '../tools/fileSearch';
import { NO_TOOLS, toolsForTurn, type TurnTools } from '../tools/turnTools';
import type { ToolDefinition, ToolSource } from '../tools/types';
import { runToolLoop, type ToolLoopLimits } from './toolLoop';

/**
 * Runs one generation from its stored document to its outcome, in the order that makes every
 * outcome durable before anyone is told: stream `start` -> provider tokens appended as they come
 * -> outcome + event in the generation document (outbox) -> `done` entry, meta done, TTL. The
 * outcome write is guarded by "still open", so a lease-expiry sweep and a late runner can never
 * both end the same generation.
 *
 * A title (best effort) is asked for in parallel with the answer and, when ready by the time the
 * answer ends (or within `titleWaitMs` after), written in the same outbox write as the outcome,
 * `title.generated` first: conversation applies both before it marks the outcome applied, so the
 * final stream chunk shows the generated title. A later title is written on its own afterwards.
 */

/** Default of `titleWaitMs`: how long a finished answer waits for its title. */
export const DEFAULT_TITLE_WAIT_MS = 2_000;

/** Why a job's controller was aborted: the owner's stop, or this instance shutting down. */
export type AbortReason = 'stop' | 'interrupted';

export interface GenerationJob {
  doc: GenerationDoc;
  messages: ChatMessage[];
  /**
   * When a user message has files: the request's messages with their file ids, turned into the
   * provider's messages (text, image parts, notes) by the runner before the provider call.
   */
  attachments?: { messages: RequestMessage[]; estimatedPromptTokens: number };
  /** The first USER message of the request (for titles). */
  firstUserMessage: string;
  /** An assistant thread's temperature and top-p (`generation.requested`); absent: the provider's defaults. */
  sampling?: { temperature?: number; topP?: number };
  /**
   * The tools the turn may use (an assistant thread's tool list) and the files `file_search` may
   * search; absent: a plain generation. Like sampling, on the queued job only.
   */
  tools?: { names: string[]; assistantId: string | null; scope: FileSearchScope };
  controller: AbortController;
  /**
   * Whether the generation document is stored: the provider call starts while it is being
   * written, but nothing (stream entries, events) is written for the job until it resolves true.
   * False when another delivery of the same request stored it first (a duplicate: this job only
   * lets go of its provider call); rejects when the store failed (the request is redelivered).
   */
  persisted: Promise<boolean>;
  /** The text streamed so far (kept for the crash path). */
  partial?: string;
}

export interface GenerationRunnerDeps {
  kv: KvStore;
  collections: AiGatewayCollections;
  registry: DeploymentRegistry;
  titles: TitleGenerator;
  titlesEnabled: boolean;
  /** How long a COMPLETE outcome waits for a title still being generated (default DEFAULT_TITLE_WAIT_MS). */
  titleWaitMs?: number;
  policy: RetryPolicy;
  stream: { maxLen: number; retentionMs: number };
  logger: Logger;
  now: () => Date;
  random?: () => number;
  eventsQueued: () => void;
  /** Gives the model the files attached to the request (domain/attachments.ts); absent: file ids are ignored. */
  attachments?: AttachmentResolver;
  /** The tool loop's sources and limits; absent: tool lists are ignored (plain generations). */
  tools?: RunnerTools;
}

/** What the runner needs to run tool loops. */
export interface RunnerTools {
  /** `file_search` for a turn's files. */
  fileSearch(scope: FileSearchScope): ToolSource;
  /** Sources every turn may draw from besides `file_search` (MCP servers). */
  sources: readonly ToolSource[];
  limits: ToolLoopLimits;
}

interface Ending {
  outcome: TokenStreamOutcome;
  finishReason: string;
  event: OutboxEvent;
  error?: string;
}

/** The outcome, done entry and event a result maps to. */
function endingOf(doc: GenerationDoc, result: GenerationResult, reason: AbortReason | undefined): Ending {
  const tools = { toolCalls: result.toolRecords, citations: result.citations };
  if (result.status === 'complete')
    return { outcome: 'COMPLETE', finishReason: result.finishReason, event: generationCompleted(doc, { ...result, ...tools }) };
  if (result.status === 'aborted' && reason !== 'interrupted') {
    return {
      outcome: 'ABORTED',
      finishReason: 'aborted',
      event: generationCompleted(doc, { ...result, ...tools, finishReason: 'aborted' }),
    };
  }
  const interrupted = result.status === 'aborted';
  const finishReason = interrupted ? 'interrupted' : result.finishReason;
  const error = interrupted ? 'the generation was interrupted: its instance shut down' : (result.error ?? 'the generation failed');
  return {
    outcome: 'FAILED',
    finishReason,
    error,
    event: generationFailed(doc, { error, text: result.text, finishReason, toolCalls: result.toolRecords }),
  };
}

export class GenerationRunner {
  constructor(private readonly deps: GenerationRunnerDeps) {}

  /** Runs the job to its end; never throws (failures end the generation FAILED when possible). */
  async run(job: GenerationJob): Promise<void> {
    const { doc } = job;
    const log = this.deps.logger.child({ streamId: doc.streamId, model: doc.model });
    try {
      await this.execute(job, log);
    } catch (error) {
      log.error({ err: error }, 'generation crashed; ending it FAILED');
      const result: GenerationResult = {
        status: 'failed',
        text: job.partial ?? '',
        finishReason: 'error',
        usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
        usageSource: 'counted',
        error: 'internal error in ai-gateway',
      };
      try {
        const writer = this.writerFor(doc);
        if ((await this.deps.kv.read(tokenStreamKey(doc.streamId), { count: 1 })).length === 0) await writer.start();
        await this.end(job, writer, result, undefined, log);
      } catch (err) {
        log.error({ err }, 'could not record the failed generation; the lease sweep will');
      }
    }
  }

  private writerFor(doc: GenerationDoc): TokenStreamWriter {
    const { kv, stream, now } = this.deps;
    return new TokenStreamWriter({
      kv,
      streamId: doc.streamId,
      ownerId: doc.ownerId,
      conversationId: doc.conversationId,
      messageId: doc.messageId,
      model: doc.model,
      maxLen: stream.maxLen,
      retentionMs: stream.retentionMs,
      now,
    });
  }

  private async execute(job: GenerationJob, log: Logger): Promise<void> {
    const { doc, controller } = job;
    const { kv, collections, registry, now } = this.deps;
    // A stop that arrived before this instance took the generation (or on a missed control message).
    if (!controller.signal.aborted && (await kv.get(tokenStreamStopKey(doc.streamId))) !== null)
      controller.abort('stop' satisfies AbortReason);

    const writer = this.writerFor(doc);
    // Written while the provider call starts (deltas wait for the `start` entry), once the
    // generation document is stored: no round trip of ours sits in front of the first token, and
    // a duplicate delivery writes nothing. A failure surfaces below, before the outcome.
    const stored = job.persisted.catch(() => false);
    // The title depends only on the first user message: asked for alongside the answer, so it
    // costs the final chunk nothing unless the title model is slower than the whole answer.
    const titleCall = new AbortController();
    const title =
      doc.generateTitle && this.deps.titlesEnabled
        ? stored.then((ok) => (ok ? this.titleOf(job, titleCall.signal, log) : undefined))
        : undefined;
    const streamStarted = stored.then((ok) => (ok ? writer.start() : undefined));
    streamStarted.catch(() => undefined);

    let started: Promise<unknown> = Promise.resolve();
    const messages = await this.messagesOf(job, log);
    const deployments = registry.attemptOrder(doc.model);
    let firstToken = false;
    const round = (roundMessages: ChatMessage[], tools: readonly ToolDefinition[]): Promise<GenerationResult> =>
      generateRouted({
        deployments,
        messages: roundMessages,
        sampling: job.sampling,
        tools,
        signal: controller.signal,
        policy: this.deps.policy,
        random: this.deps.random,
        onDelta: (delta) => {
          job.partial = (job.partial ?? '') + delta;
          writer.push(delta);
        },
        onFirstToken: (deployment) => {
          // Once per generation, whatever the rounds of a tool loop.
          if (firstToken) return;
          firstToken = true;
          // Off the token path; awaited before the outcome so `started` precedes it in the outbox.
          started = stored
            .then(async (ok) => {
              if (!ok) return;
              await collections.generations.updateOne(
                { _id: doc._id, ...OPEN_GENERATION },
                updateWithOutbox({ $set: { state: 'running', startedAt: now(), deployment: deployment.id } }, [
                  generationStarted(doc, deployment.id),
                ]),
              );
              this.deps.eventsQueued();
            })
            .catch((err: unknown) => log.warn({ err }, 'could not record generation.started'));
        },
      });
    const result = !registry.model(doc.model) ? unknownModel(doc.model) : await this.generate(job, messages, round, writer, log);
    let ending: Ending | undefined;
    try {
      if (!(await stored)) {
        log.debug('generation not stored by this delivery (a duplicate, or the store failed): nothing written');
        return;
      }
      await started;
      await streamStarted;
      const reason = controller.signal.aborted ? (controller.signal.reason as AbortReason) : undefined;
      ending = await this.end(job, writer, result, reason, log, title);
    } finally {
      // Only a COMPLETE answer gets a title (a late one is still written): any other end drops the call.
      if (ending?.outcome !== 'COMPLETE') titleCall.abort();
    }
  }

  /** One round, or a tool loop when the turn has tools. */
  private async generate(
    job: GenerationJob,
    messages: ChatMessage[],
    round: (messages: ChatMessage[], tools: readonly ToolDefinition[]) => Promise<GenerationResult>,
    writer: TokenStreamWriter,
    log: Logger,
  ): Promise<GenerationResult> {
    const tools = await this.turnTools(job, log);
    if (tools.definitions.length === 0 || !this.deps.tools) return round(messages, []);
    const { doc } = job;
    return runToolLoop({
      messages,
      tools,
      ctx: { userId: doc.ownerId, conversationId: doc.conversationId, assistantId: job.tools?.assistantId ?? null },
      signal: job.controller.signal,
      limits: this.deps.tools.limits,
      round,
      onToolEntry: (entry) => writer.pushTool(entry),
    });
  }

  /** The tools the job's turn may use (none without a tool list). */
  private async turnTools(job: GenerationJob, log: Logger): Promise<TurnTools> {
    const config = this.deps.tools;
    if (!job.tools || !config) return NO_TOOLS;
    const { doc } = job;
    const sources = [config.fileSearch(job.tools.scope), ...config.sources];
    const ctx = { userId: doc.ownerId, conversationId: doc.conversationId, assistantId: job.tools.assistantId };
    return toolsForTurn(sources, job.tools.names, ctx, log);
  }

  /** The job's messages for the provider: with its attached files when it has any (a store read). */
  private async messagesOf(job: GenerationJob, log: Logger): Promise<ChatMessage[]> {
    const resolver = this.deps.attachments;
    if (!job.attachments || !resolver) return job.messages;
    const { messages, unavailable } = await resolver.messagesFor({
      ownerId: job.doc.ownerId,
      model: job.doc.model,
      messages: job.attachments.messages,
      estimatedPromptTokens: job.attachments.estimatedPromptTokens,
      signal: job.controller.signal,
    });
    if (unavailable.length > 0) log.info({ unavailable }, 'attached files unavailable: the model is told so');
    return messages;
  }

  /** The title for the job, or undefined (never rejects: titles are best effort). */
  private async titleOf(job: GenerationJob, signal: AbortSignal, log: Logger): Promise<string | undefined> {
    try {
      const title = await this.deps.titles.generate(job.firstUserMessage, signal);
      if (!title && !signal.aborted) log.warn('no title could be generated');
      return title;
    } catch (error) {
      log.warn({ err: error }, 'title generation failed');
      return undefined;
    }
  }

  /**
   * The title if it is ready now or within `titleWaitMs`; otherwise undefined, and the title is
   * written on its own when it comes (after the outcome: the final chunk then shows the old title).
   */
  private async titleInTime(job: GenerationJob, title: Promise<string | undefined>, log: Logger): Promise<string | undefined> {
    const waitMs = this.deps.titleWaitMs ?? DEFAULT_TITLE_WAIT_MS;
    let timer: NodeJS.Timeout | undefined;
    const late = Symbol('late');
    const first = await Promise.race([title, new Promise<typeof late>((resolve) => (timer = setTimeout(() => resolve(late), waitMs)))]);
    clearTimeout(timer);
    if (first !== late) return first;
    log.warn({ waitMs }, 'title not ready when the answer ended: written after the outcome');
    void title.then((t) => (t ? this.writeTitle(job, t, log) : undefined));
    return undefined;
  }

  /** Records the outcome (outbox) and then writes `done`; resolves undefined when the sweep ended it first. */
  private async end(
    job: GenerationJob,
    writer: TokenStreamWriter,
    result: GenerationResult,
    reason: AbortReason | undefined,
    log: Logger,
    titleCall?: Promise<string | undefined>,
  ): Promise<Ending | undefined> {
    const { doc } = job;
    const ending = endingOf(doc, result, reason);
    const title = ending.outcome === 'COMPLETE' && titleCall ? await this.titleInTime(job, titleCall, log) : undefined;
    await writer.flush();
    const fields = {
      state: 'done',
      outcome: ending.outcome,
      finishReason: ending.finishReason,
      endedAt: this.deps.now(),
      ...(result.deployment ? { deployment: result.deployment } : {}),
      ...(title ? { title } : {}),
    };
    // `title.generated` before the outcome: same key (the conversation), so conversation applies it first.
    const events = title ? [titleGenerated(doc, title, this.deps.titles.model), ending.event] : [ending.event];
    // Retried: losing this write would leave the outcome to the lease sweep (as FAILED).
    const applied = await withRetries(() =>
      this.deps.collections.generations.updateOne({ _id: doc._id, ...OPEN_GENERATION }, updateWithOutbox({ $set: fields }, events)),
    );
    if (applied.modifiedCount === 0) {
      log.warn('generation was ended by the lease sweep meanwhile; its outcome stands');
      return undefined;
    }
    this.deps.eventsQueued();
    await writer.finish({
      outcome: ending.outcome,
      finishReason: ending.finishReason,
      usage: result.usage,
      ...(ending.error ? { error: ending.error } : {}),
    });
    await this.deps.collections.generations.updateOne({ _id: doc._id }, { $set: { streamClosed: true } });
    if (writer.appendFailure) log.warn({ err: writer.appendFailure }, 'some deltas could not be appended; the event carries the full text');
    log.info(
      { outcome: ending.outcome, finishReason: ending.finishReason, deployment: result.deployment, usageSource: result.usageSource },
      'generation ended',
    );
    return ending;
  }

  /** Writes a title that came after the outcome (best effort). */
  private async writeTitle(job: GenerationJob, title: string, log: Logger): Promise<void> {
    try {
      await this.deps.collections.generations.updateOne(
        { _id: job.doc._id },
        updateWithOutbox({ $set: { title } }, [titleGenerated(job.doc, title, this.deps.titles.model)]),
      );
      this.deps.eventsQueued();
    } catch (error) {
      log.warn({ err: error }, 'could not record the title');
    }
  }
}

/** Runs `write` up to `attempts` times, 100 ms doubling between tries; rethrows the last error. */
async function withRetries<T>(write: () => Promise<T>, attempts = 4): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await write();
    } catch (error) {
      if (n >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** (n - 1)));
    }
  }
}

function unknownModel(model: string): GenerationResult {
  return {
    status: 'failed',
    text: '',
    finishReason: 'error',
    usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
    usageSource: 'counted',
    error: `the model ${model} is not in the catalog`,
  };
}
