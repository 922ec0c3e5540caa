import path from 'node:path';
import ts from 'typescript';
import { KIT_ROOT, type KitEntries } from './entries';

/** Lines longer than this are written one name per line. */
const MAX_LINE = 160;

/** What the rewrite of one file gives: the new text and what it had to leave alone, and why. */
export interface RewriteResult {
  text: string;
  changed: boolean;
  /** Left as they are and wrong to leave: a name no entry exports, `export *` of the root. */
  problems: string[];
  /** Left as they are and fine until the root loses the ports (the compiler then says if a port name is used). */
  notes: string[];
}

/** Where a module specifier points in the kit: an entry's sub-path (`''` = root) and how to spell its siblings. */
interface KitTarget {
  subpath: string;
  /** The specifier of the root, from which each entry's specifier is spelled. */
  base: string;
}

/** One import or re-export group to write: `import type { a, b } from 'spec'`. */
interface Group {
  kind: 'import' | 'export';
  typeOnly: boolean;
  spec: string;
  order: number;
  elements: string[];
}

interface KitDeclaration {
  node: ts.ImportDeclaration | ts.ExportDeclaration;
  /** Names taken from the root, to be split; false for a declaration already on a sub-path. */
  fromRoot: boolean;
  groups: Group[];
}

function spell(target: KitTarget, subpath: string): string {
  return subpath === '' ? target.base : `${target.base}/${subpath}`;
}

/**
 * Classifies a specifier: `@chatgraph/kit` and `@chatgraph/kit/<entry>`, or (inside the kit) a
 * relative path to kit/src or one of its entry folders. Anything else is not the kit's business.
 */
function kitTarget(spec: string, file: string, kitSrc: string, subpaths: ReadonlySet<string>): KitTarget | undefined {
  if (spec === KIT_ROOT) return { subpath: '', base: KIT_ROOT };
  if (spec.startsWith(`${KIT_ROOT}/`)) {
    const subpath = spec.slice(KIT_ROOT.length + 1);
    return subpaths.has(subpath) ? { subpath, base: KIT_ROOT } : undefined;
  }
  if (!spec.startsWith('.')) return undefined;
  const trimmed = spec.replace(/\/index(\.ts)?$/, '').replace(/\.ts$/, '');
  const resolved = path.resolve(path.dirname(file), trimmed);
  if (resolved === kitSrc) return { subpath: '', base: trimmed };
  const subpath = path.basename(resolved);
  if (path.dirname(resolved) === kitSrc && subpaths.has(subpath)) return { subpath, base: path.posix.dirname(trimmed) };
  return undefined;
}

function render(group: Group, quote: string): string {
  // `import { type A, type B }` split off a mixed declaration reads better as `import type { A, B }`.
  if (!group.typeOnly && group.elements.every((e) => e.startsWith('type '))) {
    return render({ ...group, typeOnly: true, elements: group.elements.map((e) => e.slice('type '.length)) }, quote);
  }
  const head = `${group.kind} ${group.typeOnly ? 'type ' : ''}`;
  const tail = ` from ${quote}${group.spec}${quote};`;
  const single = `${head}{ ${group.elements.join(', ')} }${tail}`;
  if (single.length <= MAX_LINE) return single;
  return `${head}{\n${group.elements.map((element) => `  ${element},\n`).join('')}}${tail}`;
}

/** Calls that load a module by name: `import()`, `require()`, `jest.mock()` and its kin, `import()` types. */
const MODULE_CALLS = new Set(['require', 'mock', 'doMock', 'unmock', 'requireActual', 'requireMock', 'createMockFromModule']);

function isModuleCall(node: ts.Node): boolean {
  const parent = node.parent;
  if (ts.isLiteralTypeNode(parent)) return ts.isImportTypeNode(parent.parent);
  if (!ts.isCallExpression(parent)) return false;
  const callee = parent.expression;
  if (callee.kind === ts.SyntaxKind.ImportKeyword) return true;
  if (ts.isIdentifier(callee)) return MODULE_CALLS.has(callee.text);
  return ts.isPropertyAccessExpression(callee) && MODULE_CALLS.has(callee.name.text);
}

function lineOf(source: ts.SourceFile, node: ts.Node): number {
  return source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
}

/** The named elements of a declaration, or why it cannot be split. */
function elementsOf(
  node: ts.ImportDeclaration | ts.ExportDeclaration,
): { names: Array<{ name: string; text: string }>; typeOnly: boolean } | string {
  if (ts.isImportDeclaration(node)) {
    const clause = node.importClause;
    if (!clause) return 'a side-effect import';
    if (clause.name) return 'a default import';
    if (!clause.namedBindings || ts.isNamespaceImport(clause.namedBindings)) return 'a namespace import (import * as)';
    return {
      names: clause.namedBindings.elements.map((e) => ({ name: (e.propertyName ?? e.name).text, text: e.getText() })),
      typeOnly: clause.isTypeOnly,
    };
  }
  if (!node.exportClause) return 'export * (name the exports instead)';
  if (!ts.isNamedExports(node.exportClause)) return 'a namespace re-export (export * as)';
  return {
    names: node.exportClause.elements.map((e) => ({ name: ((e.propertyName ?? e.name) as ts.Identifier).text, text: e.getText() })),
    typeOnly: node.isTypeOnly,
  };
}

/**
 * Rewrites one file's imports and re-exports of the kit's root into the entries that export
 * each name, keeping `type` modifiers and aliases, and merging into a declaration already on the
 * same entry. Declarations that need nothing keep their exact text, so a second run changes
 * nothing. What cannot be split (namespace or default imports, `export *`, unknown names, dynamic
 * imports) is left as it is and reported.
 */
export function rewriteKitImports(text: string, file: string, kitSrc: string, kit: KitEntries): RewriteResult {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const subpaths = new Set(kit.entries.map((e) => e.subpath).filter((s) => s !== ''));
  const order = new Map(kit.entries.map((e, i) => [e.subpath, i]));
  const problems: string[] = [];
  const notes: string[] = [];
  const handled = new Set<ts.Node>();
  const declarations: KitDeclaration[] = [];
  let quote = "'";

  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
    const specifier = statement.moduleSpecifier;
    if (!specifier || !ts.isStringLiteral(specifier)) continue;
    const target = kitTarget(specifier.text, file, kitSrc, subpaths);
    if (!target) continue;
    handled.add(specifier);
    quote = specifier.getText(source)[0] ?? quote;
    const kind = ts.isImportDeclaration(statement) ? 'import' : 'export';
    const elements = elementsOf(statement);
    if (typeof elements === 'string') {
      if (target.subpath === '' && !elements.startsWith('a side-effect')) {
        (elements.startsWith('export') ? problems : notes).push(
          `${file}:${lineOf(source, statement)}: left as is: ${elements} of the kit's root`,
        );
      }
      continue;
    }
    if (target.subpath !== '') {
      const group = {
        kind,
        typeOnly: elements.typeOnly,
        spec: specifier.text,
        order: order.get(target.subpath) ?? 0,
        elements: elements.names.map((n) => n.text),
      } as const;
      declarations.push({ node: statement, fromRoot: false, groups: [{ ...group, elements: [...group.elements] }] });
      continue;
    }
    const unknown = elements.names.filter((n) => !kit.byName.has(n.name)).map((n) => n.name);
    if (unknown.length > 0) {
      problems.push(`${file}:${lineOf(source, statement)}: left as is: no kit entry exports ${unknown.join(', ')}`);
      continue;
    }
    const groups = new Map<string, Group>();
    for (const { name, text: element } of elements.names) {
      const subpath = kit.byName.get(name) ?? '';
      const group = groups.get(subpath) ?? {
        kind,
        typeOnly: elements.typeOnly,
        spec: spell(target, subpath),
        order: order.get(subpath) ?? 0,
        elements: [],
      };
      group.elements.push(element);
      groups.set(subpath, group);
    }
    declarations.push({ node: statement, fromRoot: true, groups: [...groups.values()] });
  }

  // Dynamic imports, require, jest.mock and `typeof import()` name the root in a call: say so, do not guess.
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) && node.text === KIT_ROOT && !handled.has(node) && isModuleCall(node)) {
      problems.push(`${file}:${lineOf(source, node)}: left as is: '${KIT_ROOT}' in ${node.parent.getText(source).split('(')[0]}(...)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);

  if (!declarations.some((d) => d.fromRoot)) return { text, changed: false, problems, notes };

  // Each group is written where it first appears; later declarations give their names to it.
  const key = (g: Group): string => `${g.kind}|${g.typeOnly}|${g.spec}`;
  const merged = new Map<string, Group>();
  const owner = new Map<string, KitDeclaration>();
  for (const declaration of declarations) {
    for (const group of declaration.groups) {
      const existing = merged.get(key(group));
      if (existing) {
        for (const element of group.elements) if (!existing.elements.includes(element)) existing.elements.push(element);
      } else {
        merged.set(key(group), { ...group, elements: [...group.elements] });
        owner.set(key(group), declaration);
      }
    }
  }

  const edits: Array<{ start: number; end: number; text: string }> = [];
  for (const declaration of declarations) {
    const mine = [...merged.entries()].filter(([k]) => owner.get(k) === declaration).map(([, g]) => g);
    mine.sort((a, b) => a.order - b.order || Number(a.typeOnly) - Number(b.typeOnly));
    // Kept word for word when it stays one declaration, on the same specifier, with the same names.
    const written = (declaration.node.moduleSpecifier as ts.StringLiteral).text;
    const own = declaration.groups[0];
    const unchanged =
      declaration.groups.length === 1 &&
      mine.length === 1 &&
      own !== undefined &&
      mine[0]?.elements.join() === own.elements.join() &&
      mine[0].spec === written;
    if (unchanged) continue;
    const start = declaration.node.getStart(source);
    let end = declaration.node.getEnd();
    if (mine.length === 0 && text[end] === '\n') end += 1;
    edits.push({ start, end, text: mine.map((g) => render(g, quote)).join('\n') });
  }
  if (edits.length === 0) return { text, changed: false, problems, notes };
  let out = text;
  for (const edit of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  return { text: out, changed: out !== text, problems, notes };
}
