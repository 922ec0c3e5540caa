import { describeDocumentStoreContract } from './contract';
import { dropDatabase, requireMongo, testMongoStore, uniqueDbName } from './mongoSupport';

/**
 * The document-store contract on the MongoDB adapter against the real server (FerretDB by
 * default, `MONGO_URL` for another). One database for this file, emptied after every test.
 */

const dbName = uniqueDbName('kit_store_contract');

beforeAll(() => requireMongo());

describeDocumentStoreContract('MongoDB adapter on a real server', async () => ({
  store: testMongoStore(dbName),
  cleanup: () => dropDatabase(dbName),
}));
