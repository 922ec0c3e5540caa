import { z } from 'zod';
import { check, EventValidationError } from './validation';

/**
 * What every event on every topic looks like. The topic (`<aggregate>.<entity>.v<N>`) carries
 * the contract version; `type` says what happened, in the past tense (`user.registered`);
 * `subject` names the ids the event is about (e.g. `{ conversationId, messageId }`), so consumers
 * can route and deduplicate without reading the payload.
 */
export interface EventEnvelope<
  TType extends string = string,
  TSubject extends Record<string, string> = Record<string, string>,
  TPayload = unknown,
> {
  /** Unique per event, stable across redeliveries: consumers deduplicate on it. */
  id: string;
  type: TType;
  /** ISO-8601 UTC with milliseconds (`Date.prototype.toISOString()`). */
  occurredAt: string;
  subject: TSubject;
  payload: TPayload;
}

/** `<aggregate>.<entity>.v<N>`, lower-case words with dashes, e.g. `conversation.message.v1`. */
export const TOPIC_NAME = /^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.v[1-9][0-9]*$/;
/** Dotted lower-case words, the last one a past participle by convention: `message.created`. */
export const EVENT_TYPE = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const EVENT_ID = /^[A-Za-z0-9_.:-]+$/;

/** Builds a topic name from its parts, refusing names that break the convention. */
export function topicName(aggregate: string, entity: string, version: number): string {
  const name = `${aggregate}.${entity}.v${version}`;
  if (!TOPIC_NAME.test(name)) throw new EventValidationError('topic', `'${name}' is not <aggregate>.<entity>.v<N>`);
  return name;
}

/** The fields an id can hold (ids, subject ids): printable, no spaces, at most 128 characters. */
export const idString = z.string().min(1).max(128).regex(EVENT_ID, { message: 'must be an id (letters, digits, _ . : -)' });

/** The envelope's own fields; the payload belongs to the topic's contract. */
export const envelopeSchema = z.object({
  id: idString,
  type: z.string().min(1).max(100).regex(EVENT_TYPE, { message: 'must be a dotted lower-case event type such as message.created' }),
  occurredAt: z
    .string()
    .regex(ISO_UTC, { message: 'must be an ISO-8601 UTC timestamp with milliseconds' })
    .refine((value) => !Number.isNaN(Date.parse(value)), { message: 'is not a real date' }),
  subject: z.record(z.string(), idString).refine((subject) => Object.keys(subject).length <= 16, { message: 'must have at most 16 keys' }),
  payload: z.unknown().refine((payload) => payload !== undefined, { message: 'is required' }),
});

/**
 * Checks the envelope's own fields (not the payload, which belongs to the topic's contract) and
 * returns the value typed. Throws `EventValidationError`.
 */
export function validateEnvelope(value: unknown): EventEnvelope {
  return check(envelopeSchema, value, '') as EventEnvelope;
}

/** Parses an event from its wire form (UTF-8 JSON) and checks its envelope. */
export function parseEnvelope(text: string): EventEnvelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new EventValidationError('', `is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return validateEnvelope(value);
}
