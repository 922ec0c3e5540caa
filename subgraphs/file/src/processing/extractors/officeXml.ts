import { posix } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { ProcessingError } from '../types';
import type { ZipXmlParts } from './zipBudget';

/**
 * Reading the XML parts of Office Open XML packages (XLSX, PPTX) with fast-xml-parser, in
 * document order. Elements are matched by local name (`a:t` → `t`): prefixes are the producer's choice.
 */

/** A node as fast-xml-parser gives it with `preserveOrder`: `{ tag: children, ':@': attributes }` or `{ '#text': text }`. */
export type XmlNode = Record<string, unknown>;

const ATTRIBUTES = ':@';
const TEXT = '#text';

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Values stay strings: a cell's "007" is text, not 7.
  parseTagValue: false,
  parseAttributeValue: false,
  // A space alone in a run (`<a:t> </a:t>`) is part of the text.
  trimValues: false,
  // Entities are decoded here (decodeXmlText): the five XML ones and character references only.
  // OOXML declares no DTD, so entities a DOCTYPE declares (billion laughs) are never expanded.
  processEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Text with its predefined entities and character references decoded; anything else is left as written. */
export function decodeXmlText(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos);/gi, (whole, name: string) => {
    if (!name.startsWith('#')) return PREDEFINED[name] ?? whole;
    const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/** Parses one part; XML that does not validate is CORRUPT. */
export function parseXml(xml: string, part: string): XmlNode[] {
  try {
    return parser.parse(xml, true) as XmlNode[];
  } catch (error) {
    throw new ProcessingError('CORRUPT', `${part} is not valid XML: ${(error as Error).message.slice(0, 200)}`);
  }
}

/** The element's name without its namespace prefix, or undefined for text. */
export function localName(node: XmlNode): string | undefined {
  for (const key of Object.keys(node)) {
    if (key !== ATTRIBUTES && key !== TEXT) return key.slice(key.indexOf(':') + 1);
  }
  return undefined;
}

/** The element's children (none for text). */
export function childrenOf(node: XmlNode): XmlNode[] {
  for (const [key, value] of Object.entries(node)) {
    if (key !== ATTRIBUTES && key !== TEXT) return Array.isArray(value) ? (value as XmlNode[]) : [];
  }
  return [];
}

/** An attribute without a prefix (the element's own: `name`, `r`, `t`). */
export function attribute(node: XmlNode, name: string): string | undefined {
  const value = (node[ATTRIBUTES] as Record<string, string> | undefined)?.[name];
  return value === undefined ? undefined : decodeXmlText(value);
}

/** An attribute in a namespace other than the element's own (`r:id`), by local name. */
export function prefixedAttribute(node: XmlNode, name: string): string | undefined {
  const attributes = node[ATTRIBUTES] as Record<string, string> | undefined;
  const value = attributes && Object.entries(attributes).find(([key]) => key.endsWith(`:${name}`))?.[1];
  return value === undefined ? undefined : decodeXmlText(value);
}

/** The node's text (entities decoded) when it is a text node. */
export function textOf(node: XmlNode): string | undefined {
  const text = node[TEXT];
  return typeof text === 'string' ? decodeXmlText(text) : typeof text === 'number' ? String(text) : undefined;
}

/** All text below a node, in order. */
export function allText(node: XmlNode): string {
  const own = textOf(node);
  if (own !== undefined) return own;
  return childrenOf(node).map(allText).join('');
}

/** Depth-first visit; `visit` returns false to skip a subtree. */
export function walk(nodes: readonly XmlNode[], visit: (node: XmlNode, name: string | undefined) => boolean | void): void {
  for (const node of nodes) {
    if (visit(node, localName(node)) === false) continue;
    walk(childrenOf(node), visit);
  }
}

/** The first element with this local name, depth first. */
export function findFirst(nodes: readonly XmlNode[], name: string): XmlNode | undefined {
  let found: XmlNode | undefined;
  walk(nodes, (node, local) => {
    if (found) return false;
    if (local === name) found = node;
    return !found;
  });
  return found;
}

/** A package part, parsed; undefined when absent. */
export function readPart(parts: ZipXmlParts, name: string): XmlNode[] | undefined {
  const xml = parts.read(name);
  return xml === undefined ? undefined : parseXml(xml, name);
}

/** One relationship of a part: its target part's name (resolved) and its type's last segment. */
export interface Relationship {
  target: string;
  type: string;
}

/**
 * A part's relationships by id (`xl/workbook.xml` → `xl/_rels/workbook.xml.rels`), targets
 * resolved against the part's folder; external targets (links) are left out.
 */
export function relationshipsOf(parts: ZipXmlParts, part: string): Map<string, Relationship> {
  const folder = posix.dirname(part);
  const found = new Map<string, Relationship>();
  const rels = readPart(parts, posix.join(folder, '_rels', `${posix.basename(part)}.rels`)) ?? [];
  walk(rels, (node, name) => {
    if (name !== 'Relationship') return;
    const id = attribute(node, 'Id');
    const target = attribute(node, 'Target');
    if (!id || !target || attribute(node, 'TargetMode') === 'External') return;
    const resolved = target.startsWith('/') ? target.slice(1) : posix.normalize(posix.join(folder, target));
    found.set(id, { target: resolved, type: (attribute(node, 'Type') ?? '').split('/').pop() ?? '' });
  });
  return found;
}

/** The number in a part's name (`slide12.xml` → 12), for ordering parts when no relationship says. */
export function partNumber(name: string): number {
  return Number(/(\d+)\.xml$/.exec(name)?.[1] ?? Number.MAX_SAFE_INTEGER);
}

/**
 * The elements with this local name, parsed one at a time from a large part (a worksheet's rows,
 * the shared strings): a whole 100,000-cell sheet parsed at once is a tree some 20 times its XML,
 * one row is small. The elements must not nest in themselves (rows and strings do not) and their
 * content holds no CDATA section with their own end tag (Excel writes no CDATA).
 */
export function* eachElement(xml: string, name: string, part: string): Generator<XmlNode> {
  const open = new RegExp(`<(?:[A-Za-z_][\\w.-]*:)?${name}[\\s/>]`, 'g');
  const close = new RegExp(`</(?:[A-Za-z_][\\w.-]*:)?${name}\\s*>`, 'g');
  for (let start = open.exec(xml); start; start = open.exec(xml)) {
    const startTagEnd = xml.indexOf('>', start.index);
    if (startTagEnd < 0) throw new ProcessingError('CORRUPT', `${part} ends inside a <${name}> tag`);
    let end = startTagEnd + 1;
    if (xml[startTagEnd - 1] !== '/') {
      close.lastIndex = startTagEnd;
      const found = close.exec(xml);
      if (!found) throw new ProcessingError('CORRUPT', `${part} has a <${name}> that never ends`);
      end = found.index + found[0].length;
    }
    const [element] = parseXml(xml.slice(start.index, end), part);
    if (element) yield element;
    open.lastIndex = end;
  }
}
