/**
 * Chat traffic for the fault-injection suite: a few users send messages continuously through the
 * routers that are up, every acknowledged `sendMessage` is recorded under the fault running at the
 * time, and every answer's stream is followed to its `done` chunk by a client that, whenever its
 * subscription breaks (router killed, streaming cut off), subscribes again through a router that
 * is up with `after` = the last seq it received.
 */
import { gql, watch, wsClient, type Chunk, type Sent } from '../liveChatScenarios';

const SEND = /* GraphQL */ `
  mutation Send($input: SendMessageInput!) {
    sendMessage(input: $input) {
      conversation {
        id
      }
      assistantMessage {
        id
        status
      }
      streamId
    }
  }
`;

/** One acknowledged `sendMessage`: what must be there after the faults. */
export interface Ack {
  phase: string;
  token: string;
  content: string;
  conversationId: string;
  assistantMessageId: string;
  streamId: string;
}

/** One answer's stream as a resilient client received it. */
export interface Followed {
  ack: Ack;
  /** Every chunk received, over all subscriptions, in arrival order. */
  chunks: Chunk[];
  /** Subscriptions opened with `after` > 0 (a resume mid-stream). */
  resumes: number;
  /** Whether the `done` chunk arrived. */
  done: boolean;
  /** The last subscription's error code when it gave up (the deadline passed). */
  lastError?: string;
  /** The router the current (or last) subscription goes through. */
  router?: string;
}

export interface ChatLoadOptions {
  /** The `/graphql` URLs of the routers currently up (asked before every request). */
  routers(): string[];
  /** Access tokens of the users who chat. */
  tokens: string[];
  /** Pause between one user's two sends. */
  sendIntervalMs: number;
  /** How long a stream is followed before the client gives up. */
  followTimeoutMs: number;
}

/** Unref'd: a timeout raced against a reply must not keep jest waiting once the suite is done. */
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** The `extensions.code` of a subscription's end, or a short description of a transport error. */
function reasonOf(error: unknown): string {
  if (Array.isArray(error))
    return String((error[0] as { extensions?: { code?: string } } | undefined)?.extensions?.code ?? 'GRAPHQL_ERROR');
  if (error && typeof error === 'object' && 'code' in error) return `socket closed ${String((error as { code: unknown }).code)}`;
  return error instanceof Error ? error.message : 'transport error';
}

export class ChatLoad {
  /** The fault under way: each acknowledged send is recorded under it. */
  phase = 'warm-up';
  readonly acks: Ack[] = [];
  readonly followed: Followed[] = [];
  /** Sends refused or lost (not acknowledged), per phase. */
  readonly unacknowledged = new Map<string, number>();
  /** Why sends were not acknowledged, per phase: the error code (or how the request failed) and how often. */
  readonly refusals = new Map<string, Map<string, number>>();
  private running = false;
  private loops: Array<Promise<void>> = [];
  private follows: Array<Promise<void>> = [];
  private turn = 0;

  constructor(private readonly options: ChatLoadOptions) {}

  start(): void {
    this.running = true;
    this.loops = this.options.tokens.map((token, user) => this.chat(token, user));
  }

  /** Stops sending; resolves when every user's last send has answered. */
  async stopSending(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Resolves when every stream has been followed to its end (or its client gave up). */
  async streamsEnded(): Promise<void> {
    await Promise.all(this.follows);
  }

  /** Streams being received right now: some chunks arrived, `done` has not. */
  inFlight(): Followed[] {
    return this.followed.filter((f) => !f.done && f.chunks.length >= 2);
  }

  /** A router that is up, taking turns so both carry traffic. */
  private router(): string | undefined {
    const up = this.options.routers();
    return up.length === 0 ? undefined : up[this.turn++ % up.length];
  }

  private async chat(token: string, user: number): Promise<void> {
    for (let n = 1; this.running; n++) {
      const phase = this.phase;
      const content = `user ${user} message ${n} during ${phase}: tell me about resilient systems`;
      const sent = await this.send(token, content);
      if (typeof sent !== 'string') {
        const ack: Ack = {
          phase,
          token,
          content,
          conversationId: sent.conversation.id,
          assistantMessageId: sent.assistantMessage.id,
          streamId: sent.streamId,
        };
        this.acks.push(ack);
        this.follows.push(this.follow(ack));
      } else {
        this.unacknowledged.set(phase, (this.unacknowledged.get(phase) ?? 0) + 1);
        const reasons = this.refusals.get(phase) ?? new Map<string, number>();
        reasons.set(sent, (reasons.get(sent) ?? 0) + 1);
        this.refusals.set(phase, reasons);
      }
      await sleep(this.options.sendIntervalMs);
    }
  }

  /** One `sendMessage`: what the server acknowledged, or why it was not (an error code, a timeout…). */
  private async send(token: string, content: string): Promise<Sent | string> {
    const url = this.router();
    if (!url) return 'no router up';
    try {
      const res = await Promise.race([
        gql<{ sendMessage: Sent }>(url, token, SEND, { input: { content } }),
        sleep(15_000).then(() => undefined),
      ]);
      if (!res) return 'no answer within 15 s';
      return res.data?.sendMessage ?? String(res.errors?.[0]?.extensions?.code ?? 'no data');
    } catch {
      // The router went away mid-request: not acknowledged.
      return 'request failed';
    }
  }

  /** Follows one stream to its `done` chunk, resubscribing with `after` whenever it breaks. */
  private async follow(ack: Ack): Promise<void> {
    const followed: Followed = { ack, chunks: [], resumes: 0, done: false };
    this.followed.push(followed);
    const deadline = Date.now() + this.options.followTimeoutMs;
    while (!followed.done && Date.now() < deadline) {
      const url = this.router();
      if (!url) {
        await sleep(200);
        continue;
      }
      followed.router = url;
      const after = followed.chunks.at(-1)?.seq;
      if (after !== undefined && after > 0) followed.resumes++;
      const client = wsClient(url, ack.token);
      const stream = watch(client, ack.streamId, after);
      const chunksBefore = followed.chunks.length;
      // Chunks are copied as they come, so `inFlight()` sees a stream being received.
      const copy = setInterval(() => followed.chunks.push(...stream.chunks.slice(followed.chunks.length - chunksBefore)), 50);
      const attempt = Math.max(0, Math.min(30_000, deadline - Date.now()));
      const ended = await Promise.race([stream.ended, sleep(attempt).then(() => ({ error: 'TIMEOUT' as unknown }))]);
      clearInterval(copy);
      stream.stop();
      followed.chunks.push(...stream.chunks.slice(followed.chunks.length - chunksBefore));
      void client.dispose();
      followed.done = followed.chunks.at(-1)?.done === true;
      if (!followed.done) {
        followed.lastError = ended.error === undefined ? 'completed without done' : reasonOf(ended.error);
        // The generation may not have started yet (its request waits in Kafka): ask again shortly.
        await sleep(300);
      }
    }
  }
}
