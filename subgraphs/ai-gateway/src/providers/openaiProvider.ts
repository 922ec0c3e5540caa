import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { OpenAIProviderSpec } from '../catalog';
import { ProviderError, textOf, type ChatChunk, type ChatMessage, type ChatProvider, type ChatRequest } from './types';

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
  return messages.map((m) => (m.role === 'user' ? { role: 'user', content: m.content } : { role: m.role, content: textOf(m) }));
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
        },
        { signal: request.signal },
      );
    } catch (error) {
      throw classifyOpenAIError(error, request.signal);
    }
    try {
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        const out: ChatChunk = {};
        if (choice?.delta?.content) out.delta = choice.delta.content;
        if (choice?.finish_reason) out.finishReason = choice.finish_reason;
        if (chunk.usage)
          out.usage = {
            promptTokens: chunk.usage.prompt_tokens,
            completionTokens: chunk.usage.completion_tokens,
            totalTokens: chunk.usage.total_tokens,
          };
        if (out.delta !== undefined || out.finishReason !== undefined || out.usage !== undefined) yield out;
      }
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
