import {
  createFileProcessor,
  PPTX_MIME_TYPE,
  ProcessingError,
  XLSX_MIME_TYPE,
  type FileProcessor,
  type FileProcessorOptions,
  type ProcessedFile,
} from '../../src/processing';
import { DEFAULT_ALLOWED_TYPES } from '../../src/config';
import { Sniffer } from '../../src/sniff';
import { buildPptx, buildXlsx, deflatedBomb, pptxParts, xlsxParts, type CellValue } from '../fixtures/office';
import { buildZip } from '../fixtures/zip';
import { TEST_OPTIONS } from './options';

let processor: FileProcessor;
beforeAll(() => {
  processor = createFileProcessor({ ...TEST_OPTIONS, maxTextChars: 20_000 });
});
afterAll(() => processor.stop());

const processFile = (on: FileProcessor, mimeType: string, bytes: Buffer | string): Promise<ProcessedFile> =>
  on.process({ fileId: 'file-1', filename: 'upload', mimeType, bytes: Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes) });

async function failure(on: FileProcessor, mimeType: string, bytes: Buffer | string): Promise<string> {
  const error = await processFile(on, mimeType, bytes).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProcessingError);
  return (error as ProcessingError).code;
}

async function withProcessor<T>(options: Partial<FileProcessorOptions>, work: (on: FileProcessor) => Promise<T>): Promise<T> {
  const own = createFileProcessor({ ...TEST_OPTIONS, concurrency: 1, ...options });
  try {
    return await work(own);
  } finally {
    await own.stop();
  }
}

describe('XLSX text extraction', () => {
  it('reads every sheet in workbook order as named rows: shared and inline strings, numbers, booleans, gaps', async () => {
    const xlsx = buildXlsx([
      {
        name: 'Sales & costs',
        rows: [
          ['region', 'amount', 'paid'],
          ['North', 12.5, true],
          [{ inline: 'South <2>' }, null, false],
          [],
          ['East', -3, null, 'late'],
          ['West', 0.1 + 0.2, 1e21],
        ],
      },
      { name: 'Notes', rows: [['note'], ['region is the sales region']] },
    ]);
    const file = await processFile(processor, XLSX_MIME_TYPE, xlsx);
    expect(file.text).toBe(
      [
        'Sheet: Sales & costs',
        'region; amount; paid',
        'region: North; amount: 12.5; paid: TRUE',
        'region: South <2>; paid: FALSE',
        'region: East; amount: -3; column D: late',
        'region: West; amount: 0.3; paid: 1e+21',
        '',
        'Sheet: Notes',
        'note',
        'note: region is the sales region',
      ].join('\n'),
    );
    expect(file.pages).toBe(2);
  });

  it('keeps each chunk on the sheet it starts on', async () => {
    const rows = (sheet: string): CellValue[][] => [
      ['id', 'line'],
      ...Array.from({ length: 80 }, (_, n) => [n, `${sheet} sheet line ${n}.`]),
    ];
    const file = await processFile(
      processor,
      XLSX_MIME_TYPE,
      buildXlsx([
        { name: 'One', rows: rows('first') },
        { name: 'Two', rows: [...rows('second'), ['the very end.']] },
      ]),
    );
    expect(file.chunks.length).toBeGreaterThan(2);
    expect(file.chunks[0]?.page).toBe(1);
    expect(file.chunks[0]?.text.startsWith('Sheet: One')).toBe(true);
    expect(file.chunks.at(-1)?.page).toBe(2);
    expect(file.chunks.at(-1)?.text).toContain('id: the very end.');
    const pages = file.chunks.map((chunk) => chunk.page ?? 0);
    expect(pages).toEqual([...pages].sort((a, b) => a - b));
  });

  it('reads a 100,000-cell sheet within a 96 MB worker, and ends it TOO_LARGE when the text budget is smaller', async () => {
    const header = Array.from({ length: 10 }, (_, column) => `c${column}`);
    const rows = Array.from({ length: 10_000 }, (_, row) => Array.from({ length: 10 }, (_, column) => row * 10 + column));
    const xlsx = buildXlsx([{ name: 'Big', rows: [header, ...rows] }]);
    await withProcessor({ maxMemoryMb: 96, maxTextChars: 2_000_000, chunkTokens: 2_000, chunkOverlapTokens: 0 }, async (big) => {
      const file = await processFile(big, XLSX_MIME_TYPE, xlsx);
      const lines = file.text.split('\n');
      expect(lines).toHaveLength(2 + 10_000);
      expect(lines.at(-1)).toBe(header.map((name, column) => `${name}: ${99_990 + column}`).join('; '));
    });
    expect(await failure(processor, XLSX_MIME_TYPE, xlsx)).toBe('TOO_LARGE');
  });
});

describe('PPTX text extraction', () => {
  it('reads slides in presentation order (not part-name order), runs joined, notes after, slide numbers left out', async () => {
    const pptx = buildPptx([
      { paragraphs: ['Quarterly review', ['Revenue ', 'grew ', '12%']], notes: 'Mention the new region.' },
      { paragraphs: ['Costs & risks', 'Supply < demand'] },
      { paragraphs: ['Questions?'] },
    ]);
    const file = await processFile(processor, PPTX_MIME_TYPE, pptx);
    expect(file.text).toBe(
      'Quarterly review\nRevenue grew 12%\n\nNotes: Mention the new region.\n\nCosts & risks\nSupply < demand\n\nQuestions?',
    );
    expect(file.pages).toBe(3);
  });

  it('keeps each chunk on the slide it starts on', async () => {
    const slides = Array.from({ length: 4 }, (_, slide) => ({
      paragraphs: Array.from({ length: 25 }, (_, line) => `Slide ${slide + 1} point ${line}.`),
    }));
    const file = await processFile(processor, PPTX_MIME_TYPE, buildPptx(slides));
    expect(file.chunks[0]?.page).toBe(1);
    expect(file.chunks.at(-1)?.page).toBe(4);
    expect(file.chunks.at(-1)?.text).toContain('Slide 4 point 24.');
    const pages = file.chunks.map((chunk) => chunk.page ?? 0);
    expect(pages).toEqual([...pages].sort((a, b) => a - b));
  });
});

describe('XLSX and PPTX failures', () => {
  it('answers CORRUPT for bytes that are not a ZIP, a truncated file, a ZIP without the main part, and XML that does not parse', async () => {
    const xlsx = buildXlsx([{ name: 'S', rows: [['a'], ['b']] }]);
    expect(await failure(processor, XLSX_MIME_TYPE, 'PK not really a zip')).toBe('CORRUPT');
    expect(await failure(processor, XLSX_MIME_TYPE, xlsx.subarray(0, xlsx.length - 40))).toBe('CORRUPT');
    expect(await failure(processor, PPTX_MIME_TYPE, buildZip([{ name: 'hello.xml', data: Buffer.from('<a/>') }]))).toBe('CORRUPT');
    const brokenSheet = xlsxParts([{ name: 'S', rows: [['a']] }], () =>
      Buffer.from('<worksheet><sheetData><row r="1"><c r="A1"><v>1</c></row>'),
    );
    expect(await failure(processor, XLSX_MIME_TYPE, buildZip(brokenSheet))).toBe('CORRUPT');
    const brokenSlide = pptxParts([{ paragraphs: ['x'] }], () => Buffer.from('<p:sld><a:p><a:t>unclosed</a:p></p:sld>'));
    expect(await failure(processor, PPTX_MIME_TYPE, buildZip(brokenSlide))).toBe('CORRUPT');
  });

  it('decodes character references but never expands entities a part declares (billion laughs)', async () => {
    const laughs =
      '<!DOCTYPE p:sld [<!ENTITY a "hahahahahahahahahaha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>' +
      '<p:sld><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:t>&c;&c; &#65;&#x42;&#128512; &amp;lt;</a:t></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>';
    const file = await processFile(processor, PPTX_MIME_TYPE, buildZip(pptxParts([{ paragraphs: ['x'] }], () => Buffer.from(laughs))));
    expect(file.text).toBe('&c;&c; AB\u{1F600} &lt;');
  });

  it('ends a zip bomb (a sheet or slide declared small, inflating past the heap budget) TOO_LARGE before inflating it whole, then serves the next file', async () => {
    await withProcessor({ maxMemoryMb: 96 }, async (small) => {
      const sheetBomb = await deflatedBomb(
        '<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>',
        '</t></is></c></row></sheetData></worksheet>',
        200,
      );
      const xlsxBomb = buildZip(xlsxParts([{ name: 'S', rows: [] }], () => sheetBomb));
      expect(xlsxBomb.length).toBeLessThan(1_000_000);
      expect(await failure(small, XLSX_MIME_TYPE, xlsxBomb)).toBe('TOO_LARGE');
      const slideBomb = await deflatedBomb(
        '<p:sld><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:t>',
        '</a:t></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>',
        200,
      );
      expect(await failure(small, PPTX_MIME_TYPE, buildZip(pptxParts([{ paragraphs: [] }], () => slideBomb)))).toBe('TOO_LARGE');
      const next = await processFile(small, PPTX_MIME_TYPE, buildPptx([{ paragraphs: ['Still serving.'] }]));
      expect(next.text).toBe('Still serving.');
    });
  });
});

describe('XLSX and PPTX uploads', () => {
  it('are sniffed from their bytes as their own types and accepted by default', async () => {
    const sniffer = new Sniffer();
    try {
      expect(await sniffer.sniff(buildXlsx([{ name: 'S', rows: [['a']] }]))).toBe(XLSX_MIME_TYPE);
      expect(await sniffer.sniff(buildPptx([{ paragraphs: ['a'] }]))).toBe(PPTX_MIME_TYPE);
    } finally {
      await sniffer.stop();
    }
    expect(DEFAULT_ALLOWED_TYPES).toEqual(expect.arrayContaining([XLSX_MIME_TYPE, PPTX_MIME_TYPE]));
  });
});
