import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/**
 * The text the model receives for an MCP tool result. Text blocks are joined as they are; other
 * blocks (images, audio, embedded resources) cannot be fed back as a tool message's text, so they
 * are named instead of dropped silently. Without any block, the structured content as JSON.
 */
export function resultText(result: CallToolResult): string {
  const parts = result.content.map((block) => {
    switch (block.type) {
      case 'text':
        return block.text;
      case 'resource_link':
        return `[resource ${block.uri}]`;
      case 'resource':
        return 'text' in block.resource ? block.resource.text : `[resource ${block.resource.uri} (binary, omitted)]`;
      default:
        return `[${block.type} ${block.mimeType} omitted]`;
    }
  });
  if (parts.length === 0 && result.structuredContent !== undefined) return JSON.stringify(result.structuredContent);
  return parts.join('\n');
}

/** Size of `text` in UTF-8 bytes (what the limits count). */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** At most `max` characters of `text`, for summaries shown to the model and the client. */
export function excerpt(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
