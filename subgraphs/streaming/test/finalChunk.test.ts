/** The hold of the final `messageStream` chunk, on the embedded kv store. */
import { embedded } from './harness';
import { describeFinalChunk } from './suites/finalChunk';

describeFinalChunk(embedded);
