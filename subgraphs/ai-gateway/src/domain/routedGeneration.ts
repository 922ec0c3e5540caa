import type { CitationRecord, TokenUsage, ToolCallRecord } from '@chatgraph/schema';
import type { Deployment } from '../deployments';
import { classifyOpenAIError } from '../providers/openaiProvider';
import { ProviderError, type ChatMessage, type ProviderToolCall } from '../providers/types';
import type { ToolDefinition } from '../tools/types';
import { countedUsage } from './usage';

/**
 * One generation over a model's deployments, with the resilience rules in one place:
 * - before the first token: retries with exponential backoff and full jitter on retryable
 *   failures (429, 5xx, network, timeouts), then the next deployment; 4xx go straight to the next
 *   one; a deployment whose circuit is open is skipped without a call;
 * - a first-token timeout and an idle-gap timeout abort the attempt (its own AbortController);
 * - after the first token nothing is retried: a failure ends the generation FAILED with the
 *   partial text (the client already shows it, a second answer would be spliced onto it);
 * - the caller's `signal` (stop, drain) ends it at once as `aborted`, with the partial text.
 */

export interface RetryPolicy {
  /** Attempts per deployment before the first token. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  firstTokenTimeoutMs: number;
  idleTimeoutMs: number;
}

export interface RoutedGenerationRequest {
  /** In the order to try them (`DeploymentRegistry.attemptOrder`). */
  deployments: readonly Deployment[];
  messages: ChatMessage[];
  /** An assistant thread's sampling parameters, sent to every deployment tried. */
  sampling?: { temperature?: number; topP?: number };
  /** Tools the model may call (a tool loop round). */
  tools?: readonly ToolDefinition[];
  signal: AbortSignal;
  policy: RetryPolicy;
  /** The first content token arrived from `deployment`; nothing is retried from now on. */
  onFirstToken?(deployment: Deployment): void;
  /** Each content delta, in order. */
  onDelta(delta: string): void;
  now?: () => number;
  random?: () => number;
  /** Waits between retries; rejects or resolves early when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface GenerationResult {
  status: 'complete' | 'failed' | 'aborted';
  text: string;
  finishReason: string;
  usage: TokenUsage;
  usageSource: 'provider' | 'counted';
  /** `<provider>/<model>` of the deployment that streamed (or last failed). */
  deployment?: string;
  /** Why it failed (safe to publish). */
  error?: string;
  /** On a complete result: the tool calls the model asked for (the tool loop runs them). */
  toolCalls?: ProviderToolCall[];
  /** After a tool loop: the calls it ran and what `file_search` found, for the outcome event. */
  toolRecords?: ToolCallRecord[];
  citations?: CitationRecord[];
}

type AttemptOutcome =
  | { kind: 'done'; text: string; finishReason?: string; usage?: TokenUsage; toolCalls?: ProviderToolCall[] }
  | { kind: 'failed'; text: string; started: boolean; error: ProviderError; usage?: TokenUsage }
  | { kind: 'aborted'; text: string; started: boolean; usage?: TokenUsage };

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Full-jitter exponential backoff: uniform in [0, min(max, base * 2^(attempt-1))]. */
export function retryDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number): number {
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
}

async function attempt(deployment: Deployment, request: RoutedGenerationRequest, now: () => number): Promise<AttemptOutcome> {
  const { policy, signal } = request;
  const controller = new AbortController();
  const forward = (): void => controller.abort(signal.reason);
  signal.addEventListener('abort', forward, { once: true });
  let timeout: 'first token' | 'idle gap' | undefined;
  const arm = (kind: 'first token' | 'idle gap', ms: number): NodeJS.Timeout =>
    setTimeout(() => {
      timeout = kind;
      controller.abort(new ProviderError('timeout', `no ${kind === 'first token' ? 'first token' : 'chunk'} within ${ms} ms`));
    }, ms);
  let timer = arm('first token', policy.firstTokenTimeoutMs);
  const startedAt = now();
  let text = '';
  let started = false;
  let usage: TokenUsage | undefined;
  let finishReason: string | undefined;
  let toolCalls: ProviderToolCall[] | undefined;
  try {
    for await (const chunk of deployment.provider.streamChat({
      model: deployment.model,
      messages: request.messages,
      ...request.sampling,
      ...(request.tools && request.tools.length > 0 ? { tools: request.tools } : {}),
      signal: controller.signal,
    })) {
      if (chunk.usage) usage = chunk.usage;
      if (chunk.finishReason) finishReason = chunk.finishReason;
      if (chunk.toolCalls) toolCalls = chunk.toolCalls;
      // A model answering with tool calls streams no text: its first tool-call piece is its first token.
      if (chunk.delta || chunk.toolActivity || chunk.toolCalls) {
        if (!started) {
          started = true;
          deployment.recordFirstToken(now() - startedAt);
          deployment.breaker.onSuccess();
          request.onFirstToken?.(deployment);
        }
        if (chunk.delta) {
          text += chunk.delta;
          request.onDelta(chunk.delta);
        }
      }
      if (started) {
        clearTimeout(timer);
        timer = arm('idle gap', policy.idleTimeoutMs);
      }
    }
    // The SDK ends a stream quietly when its signal aborts: an abort is never a normal end.
    if (controller.signal.aborted) throw new ProviderError('aborted', 'the request was aborted');
    return { kind: 'done', text, finishReason, usage, ...(toolCalls && toolCalls.length > 0 ? { toolCalls } : {}) };
  } catch (error) {
    if (signal.aborted) return { kind: 'aborted', text, started, usage };
    const failure = timeout
      ? new ProviderError(
          'timeout',
          `${deployment.id}: no ${timeout === 'first token' ? 'first token' : 'chunk'} within ${timeout === 'first token' ? policy.firstTokenTimeoutMs : policy.idleTimeoutMs} ms`,
        )
      : classifyOpenAIError(error, controller.signal);
    return { kind: 'failed', text, started, error: failure, usage };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', forward);
  }
}

/** Runs the generation; never throws for provider failures (they are part of the result). */
export async function generateRouted(request: RoutedGenerationRequest): Promise<GenerationResult> {
  const now = request.now ?? Date.now;
  const random = request.random ?? Math.random;
  const sleep = request.sleep ?? abortableSleep;
  const { policy, signal, messages } = request;
  const result = (
    status: GenerationResult['status'],
    text: string,
    finishReason: string,
    usage: TokenUsage | undefined,
    extra: Partial<GenerationResult> = {},
  ): GenerationResult => ({
    status,
    text,
    finishReason,
    usage: usage ?? countedUsage(messages, text),
    usageSource: usage ? 'provider' : 'counted',
    ...extra,
  });

  let lastError = 'no deployment is available for this model';
  let lastDeployment: string | undefined;
  for (const deployment of request.deployments) {
    for (let n = 1; n <= policy.attempts; n++) {
      if (signal.aborted) return result('aborted', '', 'aborted', undefined);
      if (!deployment.breaker.tryAcquire()) {
        lastError = `${deployment.id}: circuit open`;
        break;
      }
      const outcome = await attempt(deployment, request, now);
      if (outcome.kind === 'done') {
        deployment.breaker.onSuccess();
        return result('complete', outcome.text, outcome.finishReason ?? 'stop', outcome.usage, {
          deployment: deployment.id,
          ...(outcome.toolCalls ? { toolCalls: outcome.toolCalls } : {}),
        });
      }
      if (outcome.kind === 'aborted') {
        if (!outcome.started) deployment.breaker.release();
        return result('aborted', outcome.text, 'aborted', outcome.usage, outcome.started ? { deployment: deployment.id } : {});
      }
      deployment.breaker.onFailure();
      deployment.recordError(outcome.error.message, new Date(now()));
      lastDeployment = deployment.id;
      if (outcome.started)
        return result('failed', outcome.text, 'error', outcome.usage, { deployment: deployment.id, error: outcome.error.message });
      lastError = outcome.error.message.startsWith(deployment.id) ? outcome.error.message : `${deployment.id}: ${outcome.error.message}`;
      if (!outcome.error.retryable) break;
      if (n < policy.attempts) await sleep(retryDelay(n, policy, random), signal);
    }
  }
  if (signal.aborted) return result('aborted', '', 'aborted', undefined);
  return result('failed', '', 'error', undefined, { error: lastError, ...(lastDeployment ? { deployment: lastDeployment } : {}) });
}
