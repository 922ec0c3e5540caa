import { Capabilities } from '../src/capabilities';
import { contentDisposition } from '../src/http/contentDisposition';
import { parseRange } from '../src/http/range';
import { typeMatches } from '../src/uploadGuard';

describe('file units', () => {
  it('parses one byte range; ignores what is not one; unsatisfiable past the end', () => {
    expect(parseRange(undefined, 10)).toEqual({ kind: 'whole' });
    expect(parseRange('bytes=2-4', 10)).toEqual({ kind: 'range', start: 2, end: 4 });
    expect(parseRange('bytes=2-', 10)).toEqual({ kind: 'range', start: 2, end: 9 });
    expect(parseRange('bytes=-3', 10)).toEqual({ kind: 'range', start: 7, end: 9 });
    expect(parseRange('bytes=-30', 10)).toEqual({ kind: 'range', start: 0, end: 9 });
    expect(parseRange('bytes=5-100', 10)).toEqual({ kind: 'range', start: 5, end: 9 });
    expect(parseRange('bytes=10-', 10)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 10)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=4-2', 10)).toEqual({ kind: 'whole' });
    expect(parseRange('bytes=0-1,3-4', 10)).toEqual({ kind: 'whole' });
    expect(parseRange('items=0-1', 10)).toEqual({ kind: 'whole' });
  });

  it('writes Content-Disposition that no file name can break out of', () => {
    expect(contentDisposition('attachment', 'report.pdf')).toBe(`attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
    expect(contentDisposition('inline', 'naïve "q"; x\\y/z\r\n.png')).toBe(
      `inline; filename="na_ve _q__ x_y_z.png"; filename*=UTF-8''na%C3%AFve%20%22q%22%3B%20x%5Cy%2Fz.png`,
    );
    expect(contentDisposition('attachment', '日本')).toBe(`attachment; filename="__"; filename*=UTF-8''%E6%97%A5%E6%9C%AC`);
  });

  it('tickets: a genuine one opens its file until it expires; forged, altered and cross-kind ones are refused', () => {
    const caps = new Capabilities('capabilities-test-secret-0123456789');
    const now = new Date('2026-01-01T00:00:00Z');
    const token = caps.issue('upload', 'f1', new Date(now.getTime() + 1000));
    expect(caps.verify('upload', token, now)).toEqual({ fileId: 'f1', expiresAt: new Date(now.getTime() + 1000) });
    const reason = (run: () => unknown): unknown => {
      try {
        run();
      } catch (error) {
        return (error as { reason: string }).reason;
      }
    };
    expect(reason(() => caps.verify('upload', token, new Date(now.getTime() + 1000)))).toBe('expired');
    expect(reason(() => caps.verify('download', token, now))).toBe('forged');
    expect(reason(() => new Capabilities('another-secret-of-enough-length-0000').verify('upload', token, now))).toBe('forged');
    const [claims, mac] = token.split('.');
    const altered = `${Buffer.from(JSON.stringify({ f: 'f2', e: now.getTime() + 1000 })).toString('base64url')}.${mac}`;
    expect(reason(() => caps.verify('upload', altered, now))).toBe('forged');
    // Every other spelling of the signature's last character is refused, also those that decode
    // to the same bytes (its two unused bits).
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = [...alphabet].filter((c) => c !== token.at(-1)).map((c) => token.slice(0, -1) + c);
    expect(respelled.filter((t) => reason(() => caps.verify('upload', t, now)) !== 'forged')).toEqual([]);
    expect(reason(() => caps.verify('upload', `${claims}`, now))).toBe('malformed');
    expect(reason(() => caps.verify('upload', 'x'.repeat(5000), now))).toBe('malformed');
  });

  it('share links name their share and pass as no other kind; no other kind may name a share', () => {
    const caps = new Capabilities('capabilities-test-secret-0123456789');
    const now = new Date('2026-01-01T00:00:00Z');
    const later = new Date(now.getTime() + 1000);
    const link = caps.issue('share', 'f1', later, 's1');
    expect(caps.verify('share', link, now)).toEqual({ fileId: 'f1', expiresAt: later, shareId: 's1' });
    const reason = (run: () => unknown): unknown => {
      try {
        run();
      } catch (error) {
        return (error as { reason: string }).reason;
      }
    };
    expect(reason(() => caps.verify('download', link, now))).toBe('forged');
    expect(reason(() => caps.verify('share', caps.issue('download', 'f1', later), now))).toBe('forged');
    // Signed with the right key but without a share, or a download link naming one: malformed.
    expect(reason(() => caps.verify('share', caps.issue('share', 'f1', later), now))).toBe('malformed');
    expect(reason(() => caps.verify('download', caps.issue('download', 'f1', later, 's1'), now))).toBe('malformed');
    expect(reason(() => caps.verify('share', link, later))).toBe('expired');
  });

  it('a claimed type matches the sniffed one; text types have no magic number', () => {
    expect(typeMatches('image/png', 'image/png')).toBe(true);
    expect(typeMatches('application/pdf', 'image/png')).toBe(false);
    expect(typeMatches('application/pdf', null)).toBe(false);
    expect(typeMatches('text/plain', null)).toBe(true);
    expect(typeMatches('text/plain', 'application/x-msdownload')).toBe(false);
  });
});
