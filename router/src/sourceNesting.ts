/**
 * Deepest bracket nesting (`{`, `[`, `(`) a document may have before it is parsed. graphql-js
 * parses by recursive descent, a few stack frames per level: about 2,000 levels overflow the stack
 * ("Maximum call stack size exceeded", a 500). Selection depth is limited much lower after parsing
 * (MAX_DEPTH), so this bound only has to keep the parser, validation and the router's own walks
 * far from the stack's end; the full introspection query nests 10 deep.
 */
export const MAX_SOURCE_NESTING = 256;

const BRACE_OPEN = 0x7b;
const BRACKET_OPEN = 0x5b;
const PAREN_OPEN = 0x28;
const BRACE_CLOSE = 0x7d;
const BRACKET_CLOSE = 0x5d;
const PAREN_CLOSE = 0x29;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Whether `source` nests brackets deeper than `max`, by one pass over its characters (no
 * recursion, stops at the first level too deep). Brackets in strings, block strings and comments
 * do not count. Unbalanced or unterminated input is left to the parser, which reports it.
 */
export function nestsDeeperThan(source: string, max: number): boolean {
  let depth = 0;
  // This runs on up to MAX_BODY_BYTES before parsing: the regex engine skips the characters that
  // matter to nobody (most of them) natively, and the switch looks only at the rest.
  // A comment is matched whole (to its line's end), so its brackets are skipped with it.
  const interesting = /[{}[\]()"]|#[^\n\r]*/g;
  for (let match = interesting.exec(source); match; match = interesting.exec(source)) {
    const i = match.index;
    switch (source.charCodeAt(i)) {
      case BRACE_OPEN:
      case BRACKET_OPEN:
      case PAREN_OPEN:
        if (++depth > max) return true;
        break;
      case BRACE_CLOSE:
      case BRACKET_CLOSE:
      case PAREN_CLOSE:
        if (depth > 0) depth--;
        break;
      case QUOTE:
        interesting.lastIndex = (source.startsWith('"""', i) ? endOfBlockString(source, i + 3) : endOfString(source, i + 1)) + 1;
        break;
    }
  }
  return false;
}

/** Index of the closing quote of a string whose content starts at `i` (or the line's end: unterminated). */
function endOfString(source: string, i: number): number {
  for (; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE || c === LF || c === CR) return i;
  }
  return i;
}

/** Index of the last quote of a block string whose content starts at `i`; `\"""` does not end it. */
function endOfBlockString(source: string, i: number): number {
  for (; i < source.length; i++) {
    if (source.charCodeAt(i) === BACKSLASH && source.startsWith('"""', i + 1)) i += 3;
    else if (source.startsWith('"""', i)) return i + 2;
  }
  return i;
}
