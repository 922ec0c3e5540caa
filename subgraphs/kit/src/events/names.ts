/** Names the bus accepts, checked the same way by both adapters so a name never works on one only. */

// `<aggregate>.<entity>.v<N>`, plus one `.dlq` per dead-letter level.
const TOPIC = /^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.v[1-9][0-9]*(\.dlq)*$/;
const GROUP = /^[A-Za-z0-9._-]{1,200}$/;

/** The dead-letter topic of `topic`. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

export function checkTopic(topic: string): void {
  if (!TOPIC.test(topic) || topic.length > 200)
    throw new Error(`topic '${topic}' is not <aggregate>.<entity>.v<N> (optionally followed by .dlq)`);
}

export function checkGroupId(groupId: string): void {
  if (!GROUP.test(groupId)) throw new Error(`consumer group '${groupId}' must be 1-200 letters, digits, '.', '_' or '-'`);
}
