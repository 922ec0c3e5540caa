// @ts-check
/**
 * ESLint rule `chatgraph/no-foreign-src`: a file imports another workspace package through its
 * public entry (`@chatgraph/identity`, `@chatgraph/launcher`, ...), never from inside that
 * package's `src/` — neither as `@chatgraph/<pkg>/src/...` nor by a relative path that climbs out
 * of its own package into another's `src/`. What a package exports from its entry is its
 * contract; everything else may change without telling anyone.
 */
const fs = require('node:fs');
const path = require('node:path');

/**
 * The workspace's packages (pnpm-workspace.yaml's `packages:` entries, `dir` or `dir/*`), deepest
 * first so the first one containing a path is its owner; the root package owns everything else.
 * @param {string} root
 * @returns {Array<{ dir: string; name: string }>}
 */
function workspacePackages(root) {
  const globs = [];
  let inPackages = false;
  for (const line of fs.readFileSync(path.join(root, 'pnpm-workspace.yaml'), 'utf8').split('\n')) {
    if (/^\S/.test(line)) inPackages = /^packages:/.test(line);
    const entry = inPackages ? /^\s+-\s+['"]?([^'"\s]+)/.exec(line) : null;
    if (entry?.[1]) globs.push(entry[1]);
  }
  const dirs = globs.flatMap((glob) => {
    if (!glob.endsWith('/*')) return [path.join(root, glob)];
    const parent = path.join(root, glob.slice(0, -2));
    return fs.existsSync(parent)
      ? fs
          .readdirSync(parent, { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => path.join(parent, d.name))
      : [];
  });
  const packages = dirs
    .filter((dir) => fs.existsSync(path.join(dir, 'package.json')))
    .map((dir) => ({
      dir,
      name: /** @type {{ name: string }} */ (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))).name,
    }));
  return [...packages.sort((a, b) => b.dir.length - a.dir.length), { dir: root, name: '(root)' }];
}

/**
 * @param {string} root the repository root
 * @returns {import('eslint').Rule.RuleModule}
 */
function noForeignSrc(root) {
  const packages = workspacePackages(root);
  /** @param {string} file */
  const ownerOf = (file) => packages.find(({ dir }) => file === dir || file.startsWith(dir + path.sep)) ?? packages[packages.length - 1];
  return {
    meta: { type: 'problem', docs: { description: "forbid importing from inside another workspace package's src/" }, schema: [] },
    create(context) {
      const file = context.filename;
      const own = ownerOf(file);
      /** @param {import('estree').Node | null | undefined} node */
      const check = (node) => {
        if (!node || node.type !== 'Literal' || typeof node.value !== 'string') return;
        const source = node.value;
        const bare = /^(@chatgraph\/[^/]+)\/src(\/|$)/.exec(source);
        let reached = bare && bare[1] !== own?.name ? bare[1] : undefined;
        if (source.startsWith('.')) {
          const target = path.resolve(path.dirname(file), source);
          const owner = ownerOf(target);
          if (owner && owner !== own && (target + path.sep).startsWith(path.join(owner.dir, 'src') + path.sep)) reached = owner.name;
        }
        if (reached)
          context.report({ node, message: `'${source}' reaches into ${reached}'s src/: import its public entry ('${reached}') instead` });
      };
      return {
        ImportDeclaration: (node) => check(node.source),
        ExportNamedDeclaration: (node) => check(node.source),
        ExportAllDeclaration: (node) => check(node.source),
        ImportExpression: (node) => check(node.source),
        CallExpression: (node) => {
          if (node.callee.type === 'Identifier' && node.callee.name === 'require')
            check(/** @type {import('estree').Node} */ (node.arguments[0]));
        },
      };
    },
  };
}

module.exports = { noForeignSrc };
