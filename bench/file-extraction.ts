/**
 * File processing (issue 15): PDF extraction time per page, XLSX per sheet and PPTX per slide,
 * files processed per second for a mix
 * of types, and what the sandbox costs: the same documents through sandbox workers (child
 * processes with a heap limit, reused) against extraction on the calling thread, same run.
 * Absolute figures depend on the machine's load (printed); the ratios are the comparable part.
 *
 *   pnpm bench:file-extraction
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  createFileProcessor,
  DOCX_MIME_TYPE,
  PPTX_MIME_TYPE,
  processDocumentInThread,
  XLSX_MIME_TYPE,
  type FileProcessorOptions,
  type ProcessInput,
} from '@chatgraph/file/processing';
import sharp from 'sharp';
import { buildDocx } from '../subgraphs/file/test/fixtures/docx';
import { buildPptx, buildXlsx } from '../subgraphs/file/test/fixtures/office';
import { buildPdf } from '../subgraphs/file/test/fixtures/pdf';

const OPTIONS: FileProcessorOptions = {
  timeoutMs: 120_000,
  maxMemoryMb: 256,
  maxTextChars: 5_000_000,
  chunkTokens: 512,
  chunkOverlapTokens: 64,
  concurrency: 2,
};
const PDF_PAGES = 200;
const MIX_ROUNDS = 6;
/** XLSX: sheets of rows × 8 columns (a text column, numbers, a boolean); PPTX: slides of paragraphs with notes. */
const XLSX_SHEETS = 20;
const XLSX_ROWS = 500;
const PPTX_SLIDES = 200;

const load = (): string =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

function sentence(n: number): string {
  return `Line ${n}: the quarterly figures for region ${n % 17} rose by ${n % 9} percent against plan.`;
}

function input(filename: string, mimeType: string, bytes: Buffer): ProcessInput {
  return { fileId: filename, filename, mimeType, bytes };
}

async function documentsMix(): Promise<ProcessInput[]> {
  const paragraphs = Array.from({ length: 60 }, (_, n) => sentence(n));
  const text = paragraphs.join('\n\n');
  return [
    input('notes.txt', 'text/plain', Buffer.from(text)),
    input('notes.md', 'text/markdown', Buffer.from(`# Notes\n\n${text}`)),
    input('data.json', 'application/json', Buffer.from(JSON.stringify(paragraphs.map((line, id) => ({ id, line }))))),
    input('data.csv', 'text/csv', Buffer.from(['id,region,change', ...paragraphs.map((_, n) => `${n},${n % 17},${n % 9}`)].join('\n'))),
    input('page.html', 'text/html', Buffer.from(`<html><body>${paragraphs.map((line) => `<p>${line}</p>`).join('')}</body></html>`)),
    input('report.pdf', 'application/pdf', buildPdf(Array.from({ length: 5 }, (_, page) => paragraphs.slice(page * 12, page * 12 + 12)))),
    input('report.docx', DOCX_MIME_TYPE, buildDocx(paragraphs)),
  ];
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, performance.now() - start];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  console.log(`file extraction bench  node ${process.version}  load average before ${load()}`);
  const documents = await documentsMix();
  const image = input(
    'photo.png',
    'image/png',
    await sharp({
      create: { width: 1600, height: 1200, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
    })
      .png()
      .toBuffer(),
  );
  const pdf = input(
    'long.pdf',
    'application/pdf',
    buildPdf(Array.from({ length: PDF_PAGES }, (_, page) => Array.from({ length: 40 }, (_, line) => sentence(page * 40 + line)))),
  );
  const xlsx = input(
    'sheets.xlsx',
    XLSX_MIME_TYPE,
    buildXlsx(
      Array.from({ length: XLSX_SHEETS }, (_, sheet) => ({
        name: `Region ${sheet}`,
        rows: [
          ['item', 'q1', 'q2', 'q3', 'q4', 'total', 'share', 'audited'],
          ...Array.from({ length: XLSX_ROWS }, (_, row) => [
            `item ${sheet}-${row}`,
            row,
            row * 2,
            row * 3,
            row * 4,
            row * 10,
            row / XLSX_ROWS,
            row % 2 === 0,
          ]),
        ],
      })),
    ),
  );
  const pptx = input(
    'deck.pptx',
    PPTX_MIME_TYPE,
    buildPptx(
      Array.from({ length: PPTX_SLIDES }, (_, slide) => ({
        paragraphs: [`Slide ${slide}`, ...Array.from({ length: 10 }, (_, line) => sentence(slide * 10 + line))],
        notes: sentence(slide),
      })),
    ),
  );

  // Sandbox with one worker: the same sequential work as in-thread, so the ratio is the sandbox's cost.
  const single = createFileProcessor({ ...OPTIONS, concurrency: 1 });
  const [, coldStart] = await timed(() => single.process(documents[0] as ProcessInput));
  for (const document of documents) await single.process(document);
  await processDocumentInThread(documents[0] as ProcessInput, OPTIONS);
  for (const document of documents) await processDocumentInThread(document, OPTIONS);

  const sandboxMs: number[] = [];
  const inThreadMs: number[] = [];
  for (let round = 0; round < MIX_ROUNDS; round += 1) {
    sandboxMs.push(
      (
        await timed(async () => {
          for (const document of documents) await single.process(document);
        })
      )[1],
    );
    inThreadMs.push(
      (
        await timed(async () => {
          for (const document of documents) await processDocumentInThread(document, OPTIONS);
        })
      )[1],
    );
  }
  const sandboxed = median(sandboxMs);
  const inThread = median(inThreadMs);
  console.log(`worker cold start (spawn, tsx, tokenizer) + first file: ${coldStart.toFixed(0)} ms`);
  console.log(
    `${documents.length} documents sequentially  sandbox ${sandboxed.toFixed(1)} ms  in-thread ${inThread.toFixed(1)} ms  ratio ${(sandboxed / inThread).toFixed(2)}x  (+${((sandboxed - inThread) / documents.length).toFixed(2)} ms a file, median of ${MIX_ROUNDS})`,
  );

  const pdfSandbox: number[] = [];
  const pdfInThread: number[] = [];
  let pages = 0;
  for (let round = 0; round < 3; round += 1) {
    const [file, ms] = await timed(() => single.process(pdf));
    pages = file.pages ?? 0;
    pdfSandbox.push(ms);
    pdfInThread.push((await timed(() => processDocumentInThread(pdf, OPTIONS)))[1]);
  }
  console.log(
    `PDF ${pages} pages (${(pdf.bytes.length / 1024).toFixed(0)} KB) extract + chunk  sandbox ${(median(pdfSandbox) / pages).toFixed(2)} ms/page  in-thread ${(median(pdfInThread) / pages).toFixed(2)} ms/page`,
  );
  for (const [label, unit, office] of [
    ['XLSX', 'sheet', xlsx],
    ['PPTX', 'slide', pptx],
  ] as const) {
    const sandboxMs: number[] = [];
    const inThreadMs: number[] = [];
    let pages = 0;
    for (let round = 0; round < 3; round += 1) {
      const [file, ms] = await timed(() => single.process(office));
      pages = file.pages ?? 0;
      sandboxMs.push(ms);
      inThreadMs.push((await timed(() => processDocumentInThread(office, OPTIONS)))[1]);
    }
    console.log(
      `${label} ${pages} ${unit}s (${(office.bytes.length / 1024).toFixed(0)} KB) extract + chunk  sandbox ${(median(sandboxMs) / pages).toFixed(2)} ms/${unit}  in-thread ${(median(inThreadMs) / pages).toFixed(2)} ms/${unit}`,
    );
  }
  await single.stop();

  const pool = createFileProcessor(OPTIONS);
  const mix = [...documents, image];
  await Promise.all(mix.map((file) => pool.process(file)));
  const [, mixMs] = await timed(() =>
    Promise.all(
      Array.from({ length: MIX_ROUNDS }, () => mix)
        .flat()
        .map((file) => pool.process(file)),
    ),
  );
  const files = mix.length * MIX_ROUNDS;
  console.log(
    `mix of ${files} files (7 document types + a 1600x1200 PNG), concurrency ${OPTIONS.concurrency}: ${((files / mixMs) * 1000).toFixed(1)} files/s`,
  );
  await pool.stop();
  console.log(`load average after ${load()}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
