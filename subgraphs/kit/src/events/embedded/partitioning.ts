/**
 * The partition of a key: FNV-1a over its UTF-8 bytes, modulo the partition count. Stable across
 * restarts and processes, which is all per-key ordering needs; it does not try to match Kafka's
 * murmur2 partitioner since the two buses never share a topic.
 */
export function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}
