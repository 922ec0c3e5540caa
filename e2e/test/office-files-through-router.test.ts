/**
 * Office documents through the router on the one-process stack behind `pnpm start`: an XLSX and a
 * PPTX uploaded as a client would (GraphQL `createUpload`, a PUT of the bytes), sniffed as their
 * types, processed in the sandbox, READY with their text in `textPreview`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { buildPptx, buildXlsx } from '../../subgraphs/file/test/fixtures/office';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const PPTX = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';

let stack: EmbeddedStack;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-office-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, { ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent', RATE_LIMITS: 'off' });
});

afterAll(async () => {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Response<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

interface FileFields {
  id: string;
  mimeType: string;
  status: string;
  failureReason: string | null;
  textPreview: string | null;
}

async function gql<T>(token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Response<T>;
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function register(): Promise<string> {
  const data = await gql<{ register: { accessToken: string } }>(
    undefined,
    'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
    { input: { email: `office-${process.pid}@example.com`, name: 'Ada', password: 'a perfectly fine passphrase' } },
  );
  return data.register.accessToken;
}

const FIELDS = 'id mimeType status failureReason textPreview';

/** Uploads through the router and polls until the file leaves UPLOADING/PROCESSING (a bounded number of reads, never a clock). */
async function uploadAndSettle(token: string, filename: string, mimeType: string, bytes: Buffer): Promise<FileFields | null> {
  const { createUpload } = await gql<{ createUpload: { file: FileFields; uploadUrl: string } }>(
    token,
    `mutation($input: CreateUploadInput!) { createUpload(input: $input) { file { ${FIELDS} } uploadUrl } }`,
    { input: { filename, mimeType, bytes: bytes.length } },
  );
  const put = await fetch(createUpload.uploadUrl, { method: 'PUT', body: bytes, headers: { 'content-type': mimeType } });
  expect(put.status).toBe(201);
  const read = async (): Promise<FileFields | null> =>
    (await gql<{ file: FileFields | null }>(token, `query($id: ID!) { file(id: $id) { ${FIELDS} } }`, { id: createUpload.file.id })).file;
  let file = await read();
  for (let i = 0; i < 400 && file && ['UPLOADING', 'PROCESSING'].includes(file.status); i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    file = await read();
  }
  return file;
}

describe('Office files through the router (one process)', () => {
  it('an XLSX and a PPTX are accepted, sniffed, extracted and READY with their text in textPreview', async () => {
    const token = await register();
    const xlsx = buildXlsx([
      {
        name: 'Budget',
        rows: [
          ['item', 'cost'],
          ['Coffee beans', 42.5],
        ],
      },
    ]);
    expect(await uploadAndSettle(token, 'budget.xlsx', XLSX, xlsx)).toMatchObject({
      mimeType: XLSX,
      status: 'READY',
      failureReason: null,
      textPreview: expect.stringContaining('item: Coffee beans; cost: 42.5'),
    });
    const pptx = buildPptx([{ paragraphs: ['Roadmap', 'Ship office files'], notes: 'Mention the budget.' }]);
    expect(await uploadAndSettle(token, 'roadmap.pptx', PPTX, pptx)).toMatchObject({
      mimeType: PPTX,
      status: 'READY',
      textPreview: expect.stringContaining('Roadmap\nShip office files'),
    });
  });
});
