/**
 * A small GraphQL and bytes client for the file suites that run their own one-process stack
 * (files-limits, files-shares): register, upload through the router, wait for READY.
 */

import { graphQL, registerUser, type GqlResponse } from './graphClient';

export type { GqlResponse };

export interface FilesClient {
  gql<T>(token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<GqlResponse<T>>;
  register(name: string): Promise<{ token: string; id: string }>;
  /** `createUpload`: the file's id and its upload URL. */
  ticket(token: string, filename: string, mimeType: string, bytes: number): Promise<{ id: string; uploadUrl: string }>;
  /** Uploads `body` (PUT) and waits until the file is READY; answers its id. */
  uploadReady(token: string, filename: string, mimeType: string, body: Buffer): Promise<string>;
  /** The file's `downloadUrl` as its owner reads it. */
  downloadUrl(token: string, id: string): Promise<string>;
}

/** A client of the router at `url` (`/graphql`). */
export function filesClient(url: string): FilesClient {
  let seq = 0;
  const gql = graphQL(() => url);
  const client: FilesClient = {
    gql,
    async register(name) {
      const { token, userId } = await registerUser(gql, `${name.toLowerCase()}-${process.pid}-${seq++}@example.com`, name);
      return { token, id: userId };
    },
    async ticket(token, filename, mimeType, bytes) {
      const res = await gql<{ createUpload: { file: { id: string }; uploadUrl: string } }>(
        token,
        'mutation($input: CreateUploadInput!) { createUpload(input: $input) { file { id } uploadUrl } }',
        { input: { filename, mimeType, bytes } },
      );
      if (!res.data) throw new Error(`createUpload failed: ${JSON.stringify(res.errors)}`);
      return { id: res.data.createUpload.file.id, uploadUrl: res.data.createUpload.uploadUrl };
    },
    async uploadReady(token, filename, mimeType, body) {
      const { id, uploadUrl } = await client.ticket(token, filename, mimeType, body.length);
      const put = await fetch(uploadUrl, { method: 'PUT', body, headers: { 'content-type': mimeType } });
      if (put.status !== 201) throw new Error(`upload answered ${put.status}: ${await put.text()}`);
      // Bounded polling of the file's state (never a clock).
      for (let i = 0; i < 400; i++) {
        const res = await gql<{ file: { status: string } | null }>(token, 'query($id: ID!) { file(id: $id) { status } }', { id });
        const status = res.data?.file?.status;
        if (status === 'READY') return id;
        if (status !== 'PROCESSING' && status !== 'UPLOADING') throw new Error(`file ended ${status}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error('the file never became READY');
    },
    async downloadUrl(token, id) {
      const res = await gql<{ file: { downloadUrl: string } | null }>(token, 'query($id: ID!) { file(id: $id) { downloadUrl } }', { id });
      const link = res.data?.file?.downloadUrl;
      if (!link) throw new Error(`no downloadUrl: ${JSON.stringify(res.errors)}`);
      return link;
    },
  };
  return client;
}
