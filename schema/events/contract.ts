import { randomUUID } from 'node:crypto';
import { TOPIC_NAME, validateEnvelope, type EventEnvelope } from './envelope';
import { check, EventValidationError, type Infer, type Schema } from './validation';

/** The subject and payload schemas (zod) of one event type of a topic. */
export interface EventSpec<TSubject extends Record<string, string> = Record<string, string>, TPayload = unknown> {
  subject: Schema<TSubject>;
  payload: Schema<TPayload>;
}

type EventSpecs = Record<string, EventSpec>;

/** The union of the envelopes a topic's specs describe, discriminated by `type`. */
export type EventsOf<S extends EventSpecs> = {
  [T in keyof S & string]: EventEnvelope<T, Infer<S[T]['subject']>, Infer<S[T]['payload']>>;
}[keyof S & string];

/** The keys every event type of `S` has in its subject: candidates for the partition key. */
type CommonSubjectKey<S extends EventSpecs> = keyof Infer<S[keyof S]['subject']> & string;

/**
 * One versioned topic: its name, the event types it carries and which subject id is the
 * aggregate id (the message key, so one aggregate's events stay in order).
 */
export interface TopicContract<S extends EventSpecs = EventSpecs> {
  readonly topic: string;
  readonly keyedBy: string;
  readonly types: ReadonlyArray<keyof S & string>;
  /** Checks envelope, type, subject and payload; throws `EventValidationError`. */
  validate(value: unknown): EventsOf<S>;
  /** Whether `value` is an envelope of this topic (does not throw). */
  accepts(value: unknown): value is EventsOf<S>;
  /** The partition key of an event of this topic. */
  keyOf(event: EventsOf<S>): string;
  /** Builds and validates a new event (fresh id, `occurredAt` now unless given). */
  create<T extends keyof S & string>(
    type: T,
    subject: Infer<S[T]['subject']>,
    payload: Infer<S[T]['payload']>,
    options?: { id?: string; occurredAt?: Date },
  ): Extract<EventsOf<S>, { type: T }>;
}

/**
 * Defines a topic contract. Adding an optional payload field or a new event type keeps the
 * version; renaming, removing or retyping a field means a new topic `...v<N+1>`, published
 * alongside the old one until every consumer has moved.
 */
export function defineTopic<S extends EventSpecs>(definition: {
  topic: string;
  keyedBy: CommonSubjectKey<S>;
  events: S;
}): TopicContract<S> {
  const { topic, keyedBy, events } = definition;
  if (!TOPIC_NAME.test(topic)) throw new EventValidationError('topic', `'${topic}' is not <aggregate>.<entity>.v<N>`);
  const types = Object.keys(events) as Array<keyof S & string>;

  const validate = (value: unknown): EventsOf<S> => {
    const envelope = validateEnvelope(value);
    const spec = Object.hasOwn(events, envelope.type) ? events[envelope.type] : undefined;
    if (!spec) throw new EventValidationError('type', `'${envelope.type}' is not an event of ${topic} (${types.join(', ')})`);
    check(spec.subject, envelope.subject, 'subject');
    check(spec.payload, envelope.payload, 'payload');
    if (!envelope.subject[keyedBy]) throw new EventValidationError(`subject.${keyedBy}`, `is required: it is the key of ${topic}`);
    return envelope as EventsOf<S>;
  };

  return {
    topic,
    keyedBy,
    types,
    validate,
    accepts(value): value is EventsOf<S> {
      try {
        validate(value);
        return true;
      } catch {
        return false;
      }
    },
    keyOf: (event) => {
      const key = (event.subject as Record<string, string>)[keyedBy];
      if (!key) throw new EventValidationError(`subject.${keyedBy}`, `is required: it is the key of ${topic}`);
      return key;
    },
    create(type, subject, payload, options = {}) {
      const event = {
        id: options.id ?? randomUUID(),
        type,
        occurredAt: (options.occurredAt ?? new Date()).toISOString(),
        subject,
        payload,
      };
      return validate(event) as Extract<EventsOf<S>, { type: typeof type }>;
    },
  };
}
