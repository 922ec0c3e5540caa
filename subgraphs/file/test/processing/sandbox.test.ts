import { createFileProcessor, DOCX_MIME_TYPE, ProcessingError, type FileProcessor, type ProcessInput } from '../../src/processing';
import { buildDocx, buildDocxBomb } from '../fixtures/docx';
import { buildPdf } from '../fixtures/pdf';
import { buildZip } from '../fixtures/zip';
import { TEST_OPTIONS } from './options';

const input = (mimeType: string, bytes: Buffer | string, fileId = 'file-1'): ProcessInput => ({
  fileId,
  filename: 'upload',
  mimeType,
  bytes: Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes),
});

async function failureCode(processor: FileProcessor, file: ProcessInput): Promise<string> {
  const error = await processor.process(file).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProcessingError);
  return (error as ProcessingError).code;
}

/** Counts live workers through the observer: the most alive at once, and how many started in all. */
function workerCounter(): { started: number; peak: number; live: number; observer: { workerStarted(): void; workerExited(): void } } {
  const counter = {
    started: 0,
    peak: 0,
    live: 0,
    observer: {
      workerStarted: () => {
        counter.started += 1;
        counter.live += 1;
        counter.peak = Math.max(counter.peak, counter.live);
      },
      workerExited: () => {
        counter.live -= 1;
      },
    },
  };
  return counter;
}

describe('the sandbox: a malicious file fails with a code and the process keeps serving', () => {
  it('refuses a zip-bomb DOCX (declared small, inflating past the heap budget) with TOO_LARGE, then serves the next file', async () => {
    const processor = createFileProcessor({ ...TEST_OPTIONS, maxMemoryMb: 96, concurrency: 1 });
    try {
      const bomb = await buildDocxBomb(200);
      expect(bomb.length).toBeLessThan(1_000_000);
      expect(await failureCode(processor, input(DOCX_MIME_TYPE, bomb))).toBe('TOO_LARGE');
      const next = await processor.process(input(DOCX_MIME_TYPE, buildDocx(['Still serving.'])));
      expect(next.text.trim()).toBe('Still serving.');
    } finally {
      await processor.stop();
    }
  });

  it('refuses a ZIP whose declared sizes already exceed the budget, without inflating', async () => {
    const processor = createFileProcessor({ ...TEST_OPTIONS, maxMemoryMb: 96, concurrency: 1 });
    try {
      const part = { deflated: Buffer.from([0x03, 0x00]), size: 0xfffffff0, crc: 0 };
      expect(await failureCode(processor, input(DOCX_MIME_TYPE, buildZip([{ name: 'word/document.xml', data: part }])))).toBe('TOO_LARGE');
    } finally {
      await processor.stop();
    }
  });

  it('ends a file that exhausts the worker heap with OUT_OF_MEMORY (one huge array: fatal for a worker thread), then serves the next', async () => {
    const counter = workerCounter();
    const processor = createFileProcessor({ ...TEST_OPTIONS, maxMemoryMb: 96, maxTextChars: 60_000_000, concurrency: 1 }, counter.observer);
    try {
      // 20 million numbers: a 40 MB string that parses into a 160 MB array.
      const hugeArray = `[${'1,'.repeat(20_000_000)}1]`;
      expect(await failureCode(processor, input('application/json', hugeArray))).toBe('OUT_OF_MEMORY');
      const next = await processor.process(input('application/json', '{"ok":true}'));
      expect(next.text).toBe('{\n  "ok": true\n}');
      expect(counter.started).toBe(2);
    } finally {
      await processor.stop();
    }
  });

  it('kills a file past its time budget with TIMEOUT (endless text, a PDF of 6,000 pages), then serves the next in a new worker', async () => {
    const counter = workerCounter();
    const processor = createFileProcessor(
      { ...TEST_OPTIONS, timeoutMs: 2_000, maxTextChars: 10_000_000, concurrency: 1 },
      counter.observer,
    );
    try {
      expect((await processor.process(input('text/plain', 'Warm.'))).text).toBe('Warm.');
      // Three million letters without a space: tokenizing them takes tens of seconds of CPU.
      expect(await failureCode(processor, input('text/plain', 'x'.repeat(3_000_000)))).toBe('TIMEOUT');
      // pdf.js takes a few milliseconds a page, so 6,000 pages take several times the budget.
      const endless = buildPdf(Array.from({ length: 6_000 }, (_, page) => [`Page ${page}.`, 'Another line.']));
      expect(await failureCode(processor, input('application/pdf', endless))).toBe('TIMEOUT');
      expect((await processor.process(input('text/plain', 'Next.'))).text).toBe('Next.');
      expect(counter.started).toBe(3);
      expect(counter.live).toBe(1);
    } finally {
      await processor.stop();
    }
    expect(counter.live).toBe(0);
  });

  it('never runs more than `concurrency` workers, reuses them, and queues the rest', async () => {
    const counter = workerCounter();
    const processor = createFileProcessor({ ...TEST_OPTIONS, concurrency: 2 }, counter.observer);
    try {
      const files = Array.from({ length: 8 }, (_, index) => input('text/plain', `File number ${index}.`, `file-${index}`));
      const results = await Promise.all(files.map((file) => processor.process(file)));
      expect(results.map((result) => result.text)).toEqual(files.map((file) => file.bytes.toString()));
      expect(counter.peak).toBe(2);
      expect(counter.started).toBe(2);
    } finally {
      await processor.stop();
    }
    expect(counter.live).toBe(0);
  });

  it('stop() right after process() fails that file instead of starting a worker nobody stops', async () => {
    const counter = workerCounter();
    const processor = createFileProcessor(TEST_OPTIONS, counter.observer);
    const pending = processor.process(input('text/plain', 'too late'));
    await processor.stop();
    expect(
      await pending.then(
        () => 'processed',
        (error: ProcessingError) => error.code,
      ),
    ).toBe('INTERNAL');
    expect(counter.started).toBe(0);
  });

  it('stop() fails the files in progress and waiting, and refuses new ones', async () => {
    let workerStarted = (): void => undefined;
    const started = new Promise<void>((resolve) => {
      workerStarted = resolve;
    });
    const processor = createFileProcessor({ ...TEST_OPTIONS, maxTextChars: 10_000_000, concurrency: 1 }, { workerStarted });
    const running = processor.process(input('text/plain', 'x'.repeat(3_000_000)));
    const waiting = processor.process(input('text/plain', 'waiting'));
    const outcomes = Promise.allSettled([running, waiting]);
    await started;
    await processor.stop();
    await processor.stop();
    const [first, second] = await outcomes;
    expect(first.status === 'rejected' && (first.reason as ProcessingError).code).toBe('INTERNAL');
    expect(second.status === 'rejected' && (second.reason as ProcessingError).code).toBe('INTERNAL');
    expect(await failureCode(processor, input('text/plain', 'late'))).toBe('INTERNAL');
  });
});
