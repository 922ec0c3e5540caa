import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/**
 * A small, self-contained page for trying the graph: no CDN, no external script, font or image,
 * so it works offline and leaks nothing to third parties. Apollo's own landing page loads from a
 * CDN and is disabled.
 */
const STYLE = `
body{font:14px system-ui,sans-serif;margin:0;padding:1rem 2rem;background:#f7f7f9;color:#1d1d1f}
h1{font-size:1.2rem}label{display:block;margin:.6rem 0 .2rem;font-weight:600}
textarea,input{width:100%;box-sizing:border-box;font:13px ui-monospace,monospace;padding:.5rem;border:1px solid #ccc;border-radius:4px}
#query{height:14rem}#variables{height:5rem}
button{margin-top:.8rem;padding:.5rem 1.4rem;font-weight:600;border:0;border-radius:4px;background:#3b5bdb;color:#fff;cursor:pointer}
pre{background:#fff;border:1px solid #ccc;border-radius:4px;padding:.8rem;min-height:6rem;overflow:auto}
`;

const SCRIPT = `
document.getElementById('run').addEventListener('click', async function () {
  var out = document.getElementById('result');
  var variables;
  try { variables = JSON.parse(document.getElementById('variables').value || '{}'); }
  catch (e) { out.textContent = 'Variables are not valid JSON: ' + e.message; return; }
  var headers = { 'content-type': 'application/json' };
  var auth = document.getElementById('authorization').value.trim();
  if (auth) headers.authorization = /^bearer /i.test(auth) ? auth : 'Bearer ' + auth;
  out.textContent = 'Running...';
  try {
    var res = await fetch('/graphql', { method: 'POST', headers: headers, body: JSON.stringify({ query: document.getElementById('query').value, variables: variables }) });
    out.textContent = res.status + '\\n' + JSON.stringify(await res.json(), null, 2);
  } catch (e) { out.textContent = 'Request failed: ' + e.message; }
});
`;

export const LANDING_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ChatGraph</title>
<style>${STYLE}</style>
</head>
<body>
<h1>ChatGraph</h1>
<p>Send a GraphQL operation to <code>/graphql</code>.</p>
<label for="query">Query</label>
<textarea id="query" spellcheck="false">query Me {
  me { id name }
}</textarea>
<label for="variables">Variables (JSON)</label>
<textarea id="variables" spellcheck="false">{}</textarea>
<label for="authorization">Authorization (access token or API key; empty for anonymous)</label>
<input id="authorization" autocomplete="off" placeholder="Bearer ...">
<button id="run" type="button">Run</button>
<label for="result">Result</label>
<pre id="result"></pre>
<script>${SCRIPT}</script>
</body>
</html>
`;

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Allows exactly the inline script and style above, and requests to this origin only. */
const CONTENT_SECURITY_POLICY = `default-src 'none'; script-src ${hash(SCRIPT)}; style-src ${hash(STYLE)}; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

/** True when a GET asks for HTML (a browser opening `/graphql`) rather than a GraphQL result. */
export function wantsHtml(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('text/html');
}

export function sendLandingPage(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(LANDING_PAGE_HTML),
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
  });
  res.end(LANDING_PAGE_HTML);
}
