/**
 * `Content-Disposition` for a stored file name (RFC 6266 with RFC 5987 `filename*`): an ASCII
 * fallback with everything outside safe printable ASCII (and quotes, backslashes, path separators)
 * replaced, plus the exact name percent-encoded as UTF-8. The name is the client's own text, so
 * nothing of it may break out of the header (control characters were refused at createUpload,
 * and are dropped here too).
 */
export function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  // eslint-disable-next-line no-control-regex -- dropping control characters is the point
  const clean = filename.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '');
  const ascii = clean.replace(/[^\x20-\x7e]|["\\/%;]/g, '_').trim() || 'file';
  const encoded = encodeURIComponent(clean).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** Types shown inline in a browser: raster images only (never SVG, which can carry script). */
export const INLINE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);
