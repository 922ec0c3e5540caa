import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { OpenAIProviderSpec } from '../catalog';
import type { ToolDefinition } from '../tools/types';
import {
  ProviderError,
  textOf,
  type ChatChunk,
  type ChatMessage,
  type ChatProvider,
  type ChatRequest,
  type ProviderToolCall,
} from './types';

/**
 * Any OpenAI-compatible chat API through the official `openai` SDK (v7): OpenAI itself, Azure
 * OpenAI-compatible endpoints, Ollama, vLLM, OpenRouter, Groq... The SDK's own retries are off
 * (`maxRetries: 0`): retries, fallback and circuit breaking are the router's, which knows whether
 * a token was already streamed.
 */

/** Maps SDK errors onto the router's classification; anything unknown counts as a network failure. */
export function classifyOpenAIError(error: unknown, signal?: AbortSignal): ProviderError {
  if (error instanceof ProviderError) return error;
  if (signal?.aborted || error instanceof APIUserAbortError)
    return new ProviderError('aborted', 'the request was aborted', undefined, { cause: error });
  if (error instanceof APIConnectionTimeoutError)
    return new ProviderError('timeout', 'the provider timed out', undefined, { cause: error });
  if (error instanceof APIConnectionError)
    return new ProviderError('network', 'the provider could not be reached', undefined, { cause: error });
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    if (status === 429) return new ProviderError('rate-limited', 'the provider rate-limited the request (429)', status, { cause: error });
    if (status >= 500) return new ProviderError('server', `the provider failed (${status})`, status, { cause: error });
    if (status === 408) return new ProviderError('timeout', 'the provider timed out (408)', status, { cause: error });
    return new ProviderError('client', `the provider refused the request (${status})`, status, { cause: error });
  }
  return new ProviderError('network', 'the provider connection failed', undefined, { cause: error });
}

/**
 * The request's messages in the SDK's shape: role and content only (the attachment summaries are
 * ours, never sent). Image parts exist only on user messages; any other role is sent as text.
 */
export function toOpenAIMessages(messages: readonly ChatMessage[]): ChatCompletionMessageParam[] {
  return messages.map((m): ChatCompletionMessageParam => {
    if (m.role === 'user') return { role: 'user', content: m.content };
    if (m.role === 'tool') return { role: 'tool', tool_call_id: m.toolCallId ?? '', content: textOf(m) };
    if (m.role === 'assistant' && m.toolCalls && m.toolCalls.length > 0) {
      const text = textOf(m);
      return {
        role: 'assistant',
        content: text.length > 0 ? text : null,
        tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })),
      };
    }
    return { role: m.role, content: textOf(m) };
  });
}

/** The request's tools in the SDK's shape (function tools). */
export function toOpenAITools(tools: readonly ToolDefinition[]): ChatCompletionTool[] {
  return tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } }));
}

/** Tool calls arrive in pieces (id and name first, then the arguments in fragments), by index. */
class ToolCallAssembler {
  private readonly calls = new Map<number, ProviderToolCall>();

  add(parts: ReadonlyArray<{ index: number; id?: string; function?: { name?: string; arguments?: string } }>): void {
    for (const part of parts) {
      const call = this.calls.get(part.index) ?? { id: '', name: '', arguments: '' };
      if (part.id) call.id = part.id;
      if (part.function?.name) call.name += part.function.name;
      if (part.function?.arguments) call.arguments += part.function.arguments;
      this.calls.set(part.index, call);
    }
  }

  /** The calls in index order; a provider that sent no id gets one (the tool message must name it). */
  done(): ProviderToolCall[] {
    return [...this.calls.entries()].sort(([a], [b]) => a - b).map(([index, c]) => ({ ...c, id: c.id || `call_${index}` }));
  }
}

/** The request's sampling parameters in the SDK's names; absent ones are left to the provider's defaults. */
export function samplingOf(request: Pick<ChatRequest, 'temperature' | 'topP'>): { temperature?: number; top_p?: number } {
  return {
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.topP !== undefined ? { top_p: request.topP } : {}),
  };
}

export class OpenAIChatProvider implements ChatProvider {
  readonly kind = 'openai' as const;
  readonly id: string;
  private readonly client: OpenAI;

  constructor(private readonly spec: OpenAIProviderSpec) {
    this.id = spec.id;
    this.client = new OpenAI({
      // Keyless local servers (Ollama) accept any key; the SDK insists on one.
      apiKey: spec.apiKey ?? 'no-key',
      // Explicit, so the SDK never picks OPENAI_BASE_URL / OPENAI_ORG_ID up from the environment.
      baseURL: spec.baseURL ?? 'https://api.openai.com/v1',
      organization: null,
      project: null,
      // With `apiKeyHeader` the key goes in that header and no bearer token is sent.
      defaultHeaders:
        spec.apiKeyHeader && spec.apiKey ? { ...spec.headers, [spec.apiKeyHeader]: spec.apiKey, Authorization: null } : spec.headers,
      timeout: spec.timeoutMs,
      maxRetries: 0,
    });
  }

  async *streamChat(request: ChatRequest): AsyncIterable<ChatChunk> {
    let stream;
    try {
      stream = await this.client.chat.completions.create(
        {
          model: request.model,
          messages: toOpenAIMessages(request.messages),
          stream: true,
          ...(this.spec.streamUsage ? { stream_options: { include_usage: true } } : {}),
          ...(request.maxTokens ? { max_tokens: request.maxTokens } : {}),
          ...samplingOf(request),
          ...(request.tools && request.tools.length > 0 ? { tools: toOpenAITools(request.tools) } : {}),
        },
        { signal: request.signal },
      );
    } catch (error) {
      throw classifyOpenAIError(error, request.signal);
    }
    const toolCalls = new ToolCallAssembler();
    let askedForTools = false;
    try {
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        const out: ChatChunk = {};
        if (choice?.delta?.tool_calls && choice.delta.tool_calls.length > 0) {
          toolCalls.add(choice.delta.tool_calls);
          askedForTools = true;
          out.toolActivity = true;
        }
        if (choice?.delta?.content) out.delta = choice.delta.content;
        if (choice?.finish_reason) out.finishReason = choice.finish_reason;
        if (chunk.usage)
          out.usage = {
            promptTokens: chunk.usage.prompt_tokens,
            completionTokens: chunk.usage.completion_tokens,
            totalTokens: chunk.usage.total_tokens,
          };
        if (out.delta !== undefined || out.finishReason !== undefined || out.usage !== undefined || out.toolActivity) yield out;
      }
      if (askedForTools) yield { toolCalls: toolCalls.done() };
    } catch (error) {
      throw classifyOpenAIError(error, request.signal);
    }
  }

  async completeChat(
    request: ChatRequest,
  ): Promise<{ text: string; usage?: { promptTokens: number; completionTokens: number; totalTokens: number } }> {
    try {
      const completion = await this.client.chat.completions.create(
        {
          model: request.model,
          messages: toOpenAIMessages(request.messages),
          ...(request.maxTokens ? { max_tokens: request.maxTokens } : {}),
          ...samplingOf(request),
        },
        { signal: request.signal },
      );
      const usage = completion.usage;
      return {
        text: completion.choices[0]?.message?.content ?? '',
        ...(usage
          ? { usage: { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens, totalTokens: usage.total_tokens } }
          : {}),
      };
    } catch (error) {
      throw classifyOpenAIError(error, request.signal);
    }
  }

  async embed(request: { model: string; input: string[]; signal?: AbortSignal }): Promise<number[][]> {
    try {
      const response = await this.client.embeddings.create(
        { model: request.model, input: request.input, encoding_format: 'float' },
        { signal: request.signal },
      );
      return [...response.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
    } catch (error) {
      throw classifyOpenAIError(error, request.signal);
    }
  }
}
