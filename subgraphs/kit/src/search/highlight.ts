/**
 * Highlight conventions shared by both adapters: one fragment, query terms wrapped in
 * `<mark>`…`</mark>`, everything else HTML-escaped (Elasticsearch's `encoder: html`) so that
 * clients may render it as HTML without letting indexed text inject markup.
 */

export const HIGHLIGHT_PRE_TAG = '<mark>';
export const HIGHLIGHT_POST_TAG = '</mark>';
/** Fragment length in characters (Elasticsearch `fragment_size` and `no_match_size`). */
export const FRAGMENT_SIZE = 150;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** Text fields, heaviest first (definition order breaks ties): the order a highlight is chosen in. */
export function highlightFieldOrder(textFields: Record<string, number>): string[] {
  return Object.entries(textFields)
    .map(([field, weight], index) => ({ field, weight, index }))
    .sort((a, b) => b.weight - a.weight || a.index - b.index)
    .map(({ field }) => field);
}
