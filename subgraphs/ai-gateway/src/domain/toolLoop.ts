import type { CitationRecord, TokenUsage, ToolCallRecord } from '@chatgraph/schema';
import type { ChatMessage } from '../providers/types';
import type { ToolStreamEntry } from '../tokenStreamWriter';
import { runToolCall } from '../tools/runToolCall';
import type { TurnTools } from '../tools/turnTools';
import type { ToolCallContext, ToolCitation, ToolDefinition, ToolOutcome } from '../tools/types';
import type { GenerationResult } from './routedGeneration';

/**
 * The tool loop: a generation in rounds. Each round is one provider call offering the turn's
 * tools; when the model answers with tool calls, each is run (in order, through its source),
 * shown on the stream when it starts and when it ends, and its result is fed back as a `tool`
 * message for the next round. The loop ends with a round that asks for no tool, or with a final
 * round offering none once `maxRounds` rounds asked for tools or the time budget is spent (so the
 * model must answer with what it has), or at the first failed or stopped round.
 *
 * A tool's failure is an outcome the model is told about (and the client sees), never the end of
 * the answer. Text streamed in every round is the answer; usage is summed over the rounds.
 */

export interface ToolLoopLimits {
  /** Rounds that may ask for tools; the next round offers none. */
  maxRounds: number;
  /** Time from the loop's start after which no tool is run or offered any more, in ms. */
  budgetMs: number;
  /** Longest one call may run, in ms (never beyond the budget left). */
  callTimeoutMs: number;
  /** Most characters of a result the model is given. */
  maxResultChars: number;
}

export interface ToolLoopRequest {
  messages: ChatMessage[];
  tools: TurnTools;
  ctx: Omit<ToolCallContext, 'signal'>;
  /** The generation's signal (stop, drain): aborts a running call and ends the loop. */
  signal: AbortSignal;
  limits: ToolLoopLimits;
  /** One provider round with these messages and tools (routing, retries and timeouts are its own). */
  round(messages: ChatMessage[], tools: readonly ToolDefinition[]): Promise<GenerationResult>;
  /** A call started or ended: written to the token stream, after the text so far. */
  onToolEntry(entry: ToolStreamEntry): void;
  now?: () => number;
}

/** Contract bounds of what the outcome event carries (schema/events aiGeneration). */
const MAX_RECORDED_ARGUMENTS = 4_000;
const MAX_SUMMARY = 500;
const MAX_SNIPPET = 1_000;
const MAX_RECORDS = 100;

const clip = (text: string, max: number): string => (text.length > max ? text.slice(0, max) : text);

/** What the model is told of a call: the result, or the failure as a small JSON object. */
function toolMessageOf(outcome: ToolOutcome): string {
  return outcome.ok ? outcome.content : JSON.stringify({ error: outcome.code, message: outcome.summary });
}

function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
}

/** Runs the loop; never throws for provider or tool failures (they are part of the result). */
export async function runToolLoop(request: ToolLoopRequest): Promise<GenerationResult> {
  const { tools, limits, signal, ctx } = request;
  const now = request.now ?? Date.now;
  const startedAt = now();
  const messages = [...request.messages];
  const records: ToolCallRecord[] = [];
  const citations = new Map<string, CitationRecord>();
  let text = '';
  let usage: TokenUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  let counted = false;

  const finish = (result: GenerationResult, overrides: Partial<GenerationResult> = {}): GenerationResult => ({
    ...result,
    text,
    usage,
    usageSource: counted ? 'counted' : 'provider',
    toolRecords: records,
    citations: [...citations.values()].slice(0, MAX_RECORDS),
    ...overrides,
  });

  for (let round = 1; ; round++) {
    const withinBudget = now() - startedAt < limits.budgetMs;
    const offered = round <= limits.maxRounds && withinBudget ? tools.definitions : [];
    const result = await request.round(messages, offered);
    text += result.text;
    usage = addUsage(usage, result.usage);
    counted ||= result.usageSource === 'counted';
    const calls = result.toolCalls ?? [];
    // A model asking for tools it was not offered (the last round) has answered with what it wrote.
    if (result.status !== 'complete' || calls.length === 0 || offered.length === 0) return finish(result);

    messages.push({ role: 'assistant', content: result.text, toolCalls: calls });
    for (const call of calls) {
      const args = clip(call.arguments, MAX_RECORDED_ARGUMENTS);
      request.onToolEntry({ type: 'tool', callId: call.id, name: call.name, phase: 'started', arguments: args });
      const callStartedAt = now();
      const left = limits.budgetMs - (callStartedAt - startedAt);
      const outcome: ToolOutcome =
        left <= 0
          ? { ok: false, code: 'TOOL_TIMEOUT', summary: "the tool loop's time budget is spent" }
          : await runToolCall(tools.sourceOf(call.name), call.name, call.arguments, ctx, signal, {
              timeoutMs: Math.min(limits.callTimeoutMs, left),
              maxResultChars: limits.maxResultChars,
            });
      const durationMs = Math.max(0, Math.round(now() - callStartedAt));
      const code = outcome.ok ? 'OK' : outcome.code;
      const summary = clip(outcome.summary, MAX_SUMMARY);
      if (records.length < MAX_RECORDS) records.push({ id: call.id, name: call.name, arguments: args, outcome: code, summary, durationMs });
      request.onToolEntry({
        type: 'tool',
        callId: call.id,
        name: call.name,
        phase: 'ended',
        arguments: args,
        outcome: code,
        summary,
        durationMs,
      });
      if (outcome.ok) for (const c of outcome.citations ?? []) addCitation(citations, c);
      messages.push({ role: 'tool', toolCallId: call.id, content: toolMessageOf(outcome) });
      if (signal.aborted) return finish(result, { status: 'aborted', finishReason: 'aborted' });
    }
  }
}

function addCitation(into: Map<string, CitationRecord>, c: ToolCitation): void {
  const key = `${c.fileId}#${c.chunkIndex}`;
  if (into.has(key)) return;
  into.set(key, { fileId: c.fileId, filename: c.filename, chunkIndex: c.chunkIndex, snippet: clip(c.snippet, MAX_SNIPPET) });
}
