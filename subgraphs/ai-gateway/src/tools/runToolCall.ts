import type { ToolCallContext, ToolOutcome, ToolSource } from './types';

/**
 * One tool call with the loop's guarantees around whatever the source does: arguments parsed
 * (TOOL_BAD_ARGUMENTS), a time limit (TOOL_TIMEOUT), the generation's stop (TOOL_STOPPED), a
 * size limit on the result (TOOL_RESULT_TOO_LARGE) and a throw turned into TOOL_FAILED. A source
 * that ignores its signal is not waited for: the call ends when the limit or the stop comes.
 */

/** Limits of one call. */
export interface ToolCallLimits {
  /** Longest the call may run, in ms (the smaller of the per-call limit and the loop's budget left). */
  timeoutMs: number;
  /** Most characters of a result the model is given; more is refused with TOOL_RESULT_TOO_LARGE. */
  maxResultChars: number;
}

/** Why the generation's signal was aborted when it is the owner's stop (generationRunner's AbortReason). */
const STOP_REASON = 'stop';

/** Runs `name` on `source` (undefined: a tool the turn does not offer); never throws. */
export async function runToolCall(
  source: ToolSource | undefined,
  name: string,
  argumentsText: string,
  ctx: Omit<ToolCallContext, 'signal'>,
  generation: AbortSignal,
  limits: ToolCallLimits,
): Promise<ToolOutcome> {
  if (!source) return { ok: false, code: 'TOOL_UNKNOWN', summary: `no tool named ${name} is enabled for this turn` };
  let args: unknown;
  try {
    args = argumentsText.trim().length === 0 ? {} : JSON.parse(argumentsText);
  } catch {
    return { ok: false, code: 'TOOL_BAD_ARGUMENTS', summary: 'the arguments are not valid JSON' };
  }
  if (generation.aborted) return stopped(generation);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onStop: (() => void) | undefined;
  const limit = new Promise<ToolOutcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort('timeout');
      resolve({ ok: false, code: 'TOOL_TIMEOUT', summary: `the tool did not answer within ${limits.timeoutMs} ms` });
    }, limits.timeoutMs);
    onStop = () => {
      controller.abort(generation.reason);
      resolve(stopped(generation));
    };
    generation.addEventListener('abort', onStop, { once: true });
  });
  const called = source
    .call(name, args, { ...ctx, signal: controller.signal })
    .catch((): ToolOutcome => ({ ok: false, code: 'TOOL_FAILED', summary: 'the tool failed' }));
  try {
    const outcome = await Promise.race([called, limit]);
    // A limit that fired first wins even when the source answered in the same tick after it.
    if (controller.signal.aborted && outcome.ok) return controller.signal.reason === 'timeout' ? timedOut(limits) : stopped(generation);
    if (outcome.ok && outcome.content.length > limits.maxResultChars)
      return {
        ok: false,
        code: 'TOOL_RESULT_TOO_LARGE',
        summary: `the result had ${outcome.content.length} characters, more than the ${limits.maxResultChars} allowed`,
      };
    return outcome;
  } finally {
    clearTimeout(timer);
    if (onStop) generation.removeEventListener('abort', onStop);
  }
}

function timedOut(limits: ToolCallLimits): ToolOutcome {
  return { ok: false, code: 'TOOL_TIMEOUT', summary: `the tool did not answer within ${limits.timeoutMs} ms` };
}

function stopped(generation: AbortSignal): ToolOutcome {
  return generation.reason === STOP_REASON
    ? { ok: false, code: 'TOOL_STOPPED', summary: 'the generation was stopped' }
    : { ok: false, code: 'TOOL_STOPPED', summary: 'the generation was interrupted' };
}
