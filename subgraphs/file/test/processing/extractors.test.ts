import { createFileProcessor, DOCX_MIME_TYPE, ProcessingError, type FileProcessor, type ProcessedFile } from '../../src/processing';
import { buildDocx } from '../fixtures/docx';
import { buildPdf } from '../fixtures/pdf';
import { buildZip } from '../fixtures/zip';
import { TEST_OPTIONS } from './options';

let processor: FileProcessor;
beforeAll(() => {
  processor = createFileProcessor({ ...TEST_OPTIONS, maxTextChars: 5_000 });
});
afterAll(() => processor.stop());

const processFile = (mimeType: string, bytes: Buffer | string): Promise<ProcessedFile> =>
  processor.process({ fileId: 'file-1', filename: 'upload', mimeType, bytes: Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes) });

async function failure(mimeType: string, bytes: Buffer | string): Promise<string> {
  const error = await processFile(mimeType, bytes).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProcessingError);
  return (error as ProcessingError).code;
}

describe('text extraction by type (in sandbox workers)', () => {
  it('keeps plain text and Markdown as they are, and chunks them', async () => {
    const markdown = '# Notes\n\nThe **quick** brown fox.\n\n- one\n- two\n';
    for (const mimeType of ['text/plain', 'text/markdown', 'text/plain; charset=utf-8']) {
      const file = await processFile(mimeType, markdown);
      expect(file.text).toBe(markdown);
      expect(file.chunks).toEqual([{ index: 0, text: markdown.trim(), tokens: expect.any(Number) }]);
      expect(file.pages).toBeUndefined();
    }
  });

  it('pretty-prints JSON', async () => {
    const file = await processFile('application/json', '{"name":"Ada","langs":["en","fr"]}');
    expect(file.text).toBe('{\n  "name": "Ada",\n  "langs": [\n    "en",\n    "fr"\n  ]\n}');
  });

  it('turns CSV rows into readable lines naming each column', async () => {
    const file = await processFile('text/csv', 'name,age\nAda,36\n"Lovelace, Ada",37\n');
    expect(file.text).toBe('name; age\nname: Ada; age: 36\nname: Lovelace, Ada; age: 37');
  });

  it('keeps the readable text of HTML and drops scripts and styles', async () => {
    const html =
      '<html><head><title>T</title><style>p { color: red }</style><script>var secret = 1;</script></head>' +
      '<body><h1>Report</h1><p>Sales <a href="https://example.com">grew</a>.</p><script>alert("x")</script></body></html>';
    const file = await processFile('text/html', html);
    expect(file.text).toBe('Report\n\nSales grew.');
  });

  it('reads a PDF page by page, and each chunk knows its page', async () => {
    const pdf = buildPdf([
      ['First page, first line.', 'First page, second line.'],
      ['Second page (with parentheses).'],
      Array.from({ length: 45 }, (_, line) => `Third page line ${line}.`),
    ]);
    const file = await processFile('application/pdf', pdf);
    expect(file.pages).toBe(3);
    expect(file.text).toContain('First page, first line.\nFirst page, second line.');
    expect(file.text).toContain('\n\nSecond page (with parentheses).\n\nThird page line 0.');
    expect(file.chunks[0]?.page).toBe(1);
    expect(file.chunks.at(-1)?.page).toBe(3);
    expect(file.chunks.at(-1)?.text).toContain('Third page line 44.');
  });

  it('reads a DOCX', async () => {
    const file = await processFile(DOCX_MIME_TYPE, buildDocx(['Quarterly report', 'Revenue & costs < budget.']));
    expect(file.text.trim()).toBe('Quarterly report\n\nRevenue & costs < budget.');
  });
});

describe('failures by code', () => {
  it('refuses an unknown type with UNSUPPORTED_TYPE', async () => {
    expect(await failure('application/x-msdownload', 'MZ')).toBe('UNSUPPORTED_TYPE');
  });

  it('answers CORRUPT for a corrupt PDF, DOCX or JSON', async () => {
    expect(await failure('application/pdf', '%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\nthis is not a pdf')).toBe('CORRUPT');
    const pdf = buildPdf([['Some text.']]);
    expect(await failure('application/pdf', pdf.subarray(0, pdf.length / 2))).toBe('CORRUPT');
    expect(await failure(DOCX_MIME_TYPE, 'PK not really a zip')).toBe('CORRUPT');
    expect(await failure(DOCX_MIME_TYPE, buildZip([{ name: 'hello.txt', data: Buffer.from('no document inside') }]))).toBe('CORRUPT');
    expect(await failure('application/json', '{"unterminated": ')).toBe('CORRUPT');
  });

  it('answers TOO_LARGE when the text exceeds maxTextChars', async () => {
    expect(await failure('text/plain', 'a'.repeat(5_001))).toBe('TOO_LARGE');
    // pdf.js reads only what lies on the page: 45 lines of 60 characters a page, 2,745 characters.
    const page = Array.from({ length: 45 }, () => 'x'.repeat(60));
    expect(await failure('application/pdf', buildPdf([page, page]))).toBe('TOO_LARGE');
    expect((await processFile('application/pdf', buildPdf([page]))).text.length).toBe(45 * 61 - 1);
    const file = await processFile('text/plain', 'a'.repeat(5_000));
    expect(file.text.length).toBe(5_000);
  });
});
