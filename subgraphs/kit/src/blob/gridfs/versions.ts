import type mongoose from 'mongoose';

/**
 * The versions of one key in a GridFS bucket. GridFS has no "replace": every `put` uploads a new
 * file under the key's name. A file counts once its upload finished and the store committed it
 * (`metadata.committed`, set with the hash, which is only known at the end); readers take the
 * latest committed version, and a `put` deletes the committed versions older than its own.
 */

export interface BlobFileMetadata {
  contentType: string;
  metadata: Record<string, string>;
  committed: boolean;
  sha256?: string;
  committedAt?: Date;
}

export interface BlobFile {
  _id: mongoose.mongo.ObjectId;
  filename: string;
  length: number;
  uploadDate: Date;
  metadata?: BlobFileMetadata;
}

export type FilesCollection = mongoose.mongo.Collection<BlobFile>;

const COMMITTED = { 'metadata.committed': true };

/** The version readers see, or `undefined`. */
export async function latestVersion(files: FilesCollection, key: string): Promise<BlobFile | undefined> {
  const [latest] = await files
    .find({ filename: key, ...COMMITTED })
    .sort({ 'metadata.committedAt': -1, _id: -1 })
    .limit(1)
    .toArray();
  return latest;
}

/** Makes an uploaded file the key's current version. */
export async function commitVersion(files: FilesCollection, id: mongoose.mongo.ObjectId, sha256: string, committedAt: Date): Promise<void> {
  await files.updateOne(
    { _id: id },
    { $set: { 'metadata.committed': true, 'metadata.sha256': sha256, 'metadata.committedAt': committedAt } },
  );
}

function isOlder(file: BlobFile, than: { id: mongoose.mongo.ObjectId; committedAt: Date }): boolean {
  const at = file.metadata?.committedAt?.getTime() ?? 0;
  if (at !== than.committedAt.getTime()) return at < than.committedAt.getTime();
  return file._id.toHexString() < than.id.toHexString();
}

/** Committed versions of `key` older than the given one (all of them without one). */
export async function olderVersions(
  files: FilesCollection,
  key: string,
  than?: { id: mongoose.mongo.ObjectId; committedAt: Date },
): Promise<BlobFile[]> {
  const all = await files.find({ filename: key, ...COMMITTED }).toArray();
  return than ? all.filter((file) => !file._id.equals(than.id) && isOlder(file, than)) : all;
}

/** Uploads that never got committed (the writer died between upload and commit), older than `before`. */
export function abandonedUploads(files: FilesCollection, before: Date): Promise<BlobFile[]> {
  return files.find({ 'metadata.committed': false, uploadDate: { $lt: before } }).toArray();
}
