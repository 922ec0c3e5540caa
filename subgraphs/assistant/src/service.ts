import { codedError, newId, requireUser, type Principal, type UserPrincipal } from '@chatgraph/kit';
import { deleteWithOutbox, insertWithOutbox, notDeleted, updateWithOutbox, type OutboxHint } from '@chatgraph/kit/events';
import { KeyedLock, paginate, type Connection, type Filter, type PageRequest } from '@chatgraph/kit/store';
import type { KnownFiles, ModelCatalogView } from '@chatgraph/kit/read-models';
import { ASSISTANT_LIMITS, type AssistantVisibility } from '@chatgraph/schema';
import { canChange, canUse } from './access';
import {
  checkDescription,
  checkId,
  checkIds,
  checkInstructions,
  checkModel,
  checkName,
  checkRange,
  checkStarters,
  checkTools,
  isId,
} from './limits';
import { assistantCreated, assistantDeleted, assistantUpdated } from './outboxEvents';
import type { AssistantCollections, AssistantDoc } from './store';

/** A page of assistants as the resolvers return it. */
export type AssistantPage = Connection<AssistantDoc>;

/** Which assistants `assistants` lists. */
export type AssistantFilter = 'MINE' | 'SHARED_WITH_ME' | 'PUBLIC';

/** `createAssistant`'s input (absent or null optional fields take their defaults). */
export interface CreateAssistantInput {
  name: string;
  model: string;
  description?: string | null;
  instructions?: string | null;
  temperature?: number | null;
  topP?: number | null;
  conversationStarters?: readonly string[] | null;
  tools?: readonly string[] | null;
  fileIds?: readonly string[] | null;
}

/**
 * `updateAssistant`'s input: absent or null fields are left as they are; `clearTemperature` /
 * `clearTopP` return a parameter to the model's default, an empty description removes it.
 */
export interface UpdateAssistantInput extends Partial<Omit<CreateAssistantInput, 'name' | 'model'>> {
  name?: string | null;
  model?: string | null;
  clearTemperature?: boolean | null;
  clearTopP?: boolean | null;
}

/** What `deleteAssistant` removed (`DeleteAssistantPayload`). */
export interface DeletedAssistant {
  deletedAssistantId: string;
}

export interface AssistantServiceOptions {
  collections: AssistantCollections;
  now: () => Date;
  /** Most assistants one user owns at once (ASSISTANT_MAX_PER_USER). */
  maxPerUser: number;
  /** Wakes the outbox relay after a write that queued events, naming the document written. */
  eventsQueued: (...written: OutboxHint[]) => void;
  /** Refuses a model missing from ai-gateway's published catalog; absent: length check only. */
  models?: ModelCatalogView;
  /** Refuses knowledge files that are unknown, someone else's, failed or deleted; absent: shape checks only. */
  files?: KnownFiles;
}

/** A change of settings: the fields to set (validated), computed once before any write. */
type Changes = Partial<
  Pick<
    AssistantDoc,
    | 'name'
    | 'description'
    | 'instructions'
    | 'model'
    | 'temperature'
    | 'topP'
    | 'conversationStarters'
    | 'tools'
    | 'fileIds'
    | 'visibility'
    | 'sharedWith'
  >
>;

/** How often a change is retried when another change to the same assistant got in between. */
const WRITE_ATTEMPTS = 5;

/** Characters a duplicate's name gets appended. */
const COPY_SUFFIX = ' (copy)';

/**
 * The rules of assistants: who may read, use, change and share them, their limits, and their
 * versions. Every write carries its `assistant.assistant.v1` event in the same document write.
 * An assistant the caller may not use is indistinguishable from one that does not exist.
 */
export class AssistantService {
  /** One create at a time per owner in this instance, so a flood of concurrent creates cannot all pass the cap. */
  private readonly creates = new KeyedLock();

  constructor(private readonly options: AssistantServiceOptions) {}

  private get assistants() {
    return this.options.collections.assistants;
  }

  /** `Query.assistant`: null when missing or not usable by the caller; a malformed id is BAD_USER_INPUT. */
  async assistant(principal: Principal, id: string): Promise<AssistantDoc | null> {
    const user = requireUser({ principal });
    checkId(id);
    const doc = await this.assistants.findById(id);
    return canUse(doc, user) ? doc : null;
  }

  /** `__resolveReference`: the same rule as `assistant`, and null for a malformed id too. */
  async reference(principal: Principal, id: string): Promise<AssistantDoc | null> {
    const user = requireUser({ principal });
    if (!isId(id)) return null;
    const doc = await this.assistants.findById(id);
    return canUse(doc, user) ? doc : null;
  }

  /** The users an assistant is shared with, shown to its owner and ADMINs only (empty for others). */
  sharedWith(principal: Principal, doc: AssistantDoc): string[] {
    const user = requireUser({ principal });
    return canChange(doc, user) ? doc.sharedWith : [];
  }

  /** The caller's own assistants, those shared with them by name, or the public ones; newest first. */
  list(principal: Principal, filter: AssistantFilter, page: PageRequest): Promise<AssistantPage> {
    const { userId } = requireUser({ principal });
    const where: Record<AssistantFilter, Filter> = {
      MINE: { ownerId: userId, ...notDeleted },
      SHARED_WITH_ME: { visibility: 'SHARED', sharedWith: userId, ...notDeleted },
      PUBLIC: { visibility: 'PUBLIC', ...notDeleted },
    };
    return paginate(this.assistants, where[filter], page, { sortField: 'createdAt', direction: -1 });
  }

  /** A new PRIVATE assistant of the caller, version 1, with `assistant.created`. */
  async create(principal: Principal, input: CreateAssistantInput): Promise<AssistantDoc> {
    const user = requireUser({ principal });
    const model = await this.knownModel(input.model);
    const fileIds = checkIds(input.fileIds ?? [], 'fileIds', ASSISTANT_LIMITS.files);
    await this.options.files?.check(user.userId, fileIds);
    const now = this.options.now();
    const doc: AssistantDoc = {
      _id: newId(),
      ownerId: user.userId,
      name: checkName(input.name),
      description: input.description ? checkDescription(input.description) : null,
      instructions: checkInstructions(input.instructions ?? ''),
      model,
      temperature: checkRange(input.temperature ?? null, 'temperature', 0, 2),
      topP: checkRange(input.topP ?? null, 'topP', 0, 1),
      conversationStarters: checkStarters(input.conversationStarters ?? []),
      tools: checkTools(input.tools ?? []),
      fileIds,
      visibility: 'PRIVATE',
      sharedWith: [],
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    return this.insert(user, doc);
  }

  /**
   * A PRIVATE copy, owned by the caller, of an assistant they may use. Another owner's knowledge
   * files stay theirs: a copy made by someone else starts without them.
   */
  async duplicate(principal: Principal, id: string): Promise<AssistantDoc> {
    const user = requireUser({ principal });
    const source = await this.usable(user, id);
    const now = this.options.now();
    const name = source.name.slice(0, ASSISTANT_LIMITS.name - COPY_SUFFIX.length) + COPY_SUFFIX;
    // Settings only: never the source's pending events, tombstone flag or sharing.
    const doc: AssistantDoc = {
      _id: newId(),
      ownerId: user.userId,
      name,
      description: source.description,
      instructions: source.instructions,
      model: source.model,
      temperature: source.temperature,
      topP: source.topP,
      conversationStarters: source.conversationStarters,
      tools: source.tools,
      fileIds: source.ownerId === user.userId ? source.fileIds : [],
      visibility: 'PRIVATE',
      sharedWith: [],
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    return this.insert(user, doc);
  }

  /** Changes the given fields (owner or ADMIN); a stale `expectedVersion` is CONFLICT. */
  async update(principal: Principal, id: string, input: UpdateAssistantInput, expectedVersion?: number | null): Promise<AssistantDoc> {
    const user = requireUser({ principal });
    checkId(id);
    const changes: Changes = {};
    if (input.name !== null && input.name !== undefined) changes.name = checkName(input.name);
    if (input.description !== null && input.description !== undefined) changes.description = checkDescription(input.description);
    if (input.instructions !== null && input.instructions !== undefined) changes.instructions = checkInstructions(input.instructions);
    if (input.model !== null && input.model !== undefined) changes.model = await this.knownModel(input.model);
    if (input.temperature !== null && input.temperature !== undefined)
      changes.temperature = checkRange(input.temperature, 'temperature', 0, 2);
    if (input.clearTemperature) changes.temperature = null;
    if (input.topP !== null && input.topP !== undefined) changes.topP = checkRange(input.topP, 'topP', 0, 1);
    if (input.clearTopP) changes.topP = null;
    if (input.conversationStarters) changes.conversationStarters = checkStarters(input.conversationStarters);
    if (input.tools) changes.tools = checkTools(input.tools);
    if (!input.fileIds) return this.change(user, id, expectedVersion, changes);
    const fileIds = checkIds(input.fileIds, 'fileIds', ASSISTANT_LIMITS.files);
    return this.change(user, id, expectedVersion, async (doc) => {
      // Files are the assistant owner's (also when an ADMIN edits it); the ones it already had are
      // not checked again, so a list whose file was deleted since can still be edited.
      await this.options.files?.check(
        doc.ownerId,
        fileIds.filter((fileId) => !doc.fileIds.includes(fileId)),
      );
      return { ...changes, fileIds };
    });
  }

  /** Its knowledge files that still exist (a file deleted since it was added is left out). */
  async liveFileIds(doc: AssistantDoc): Promise<string[]> {
    return this.options.files ? this.options.files.live(doc.fileIds) : doc.fileIds;
  }

  /** Its knowledge files as `File` references, for its owner only (the file subgraph shows a file to its owner alone). */
  async files(principal: Principal, doc: AssistantDoc): Promise<string[]> {
    const user = requireUser({ principal });
    return user.userId === doc.ownerId ? this.liveFileIds(doc) : [];
  }

  /** A model name: its length checked, then checked against the catalog when there is a view. */
  private async knownModel(model: string): Promise<string> {
    const checked = checkModel(model);
    return this.options.models ? this.options.models.check(checked) : checked;
  }

  /**
   * Sets who may use the assistant (owner or ADMIN): PRIVATE (the owner), SHARED (the owner and
   * `userIds`, 1 to 100 users, never a deleted account) or PUBLIC (every signed-in user).
   */
  async share(
    principal: Principal,
    id: string,
    visibility: AssistantVisibility,
    userIds: readonly string[] | null | undefined,
    expectedVersion?: number | null,
  ): Promise<AssistantDoc> {
    const user = requireUser({ principal });
    checkId(id);
    const named = checkIds(userIds ?? [], 'userIds', ASSISTANT_LIMITS.sharedWith);
    if (visibility !== 'SHARED' && named.length > 0)
      throw codedError('BAD_USER_INPUT', 'userIds are only given with visibility SHARED', { field: 'userIds' });
    if (visibility === 'SHARED' && named.length === 0)
      throw codedError('BAD_USER_INPUT', 'SHARED needs at least one user in userIds (or use PRIVATE)', { field: 'userIds' });
    if (named.length > 0) {
      const deleted = await this.options.collections.deletedUsers.find({ _id: { $in: named } }, { limit: 1 });
      if (deleted[0]) throw codedError('BAD_USER_INPUT', 'userIds names a deleted account', { field: 'userIds', id: deleted[0]._id });
    }
    return this.change(user, id, expectedVersion, (doc) => {
      // The owner needs no share with themself.
      const sharedWith = named.filter((userId) => userId !== doc.ownerId);
      if (visibility === 'SHARED' && sharedWith.length === 0)
        throw codedError('BAD_USER_INPUT', 'SHARED needs a user other than the owner in userIds', { field: 'userIds' });
      return { visibility, sharedWith };
    });
  }

  /** Deletes the assistant (owner or ADMIN): a tombstone carrying `assistant.deleted`. */
  async delete(principal: Principal, id: string): Promise<DeletedAssistant> {
    const user = requireUser({ principal });
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const doc = await this.changeable(user, id);
      const now = this.options.now();
      const result = await this.assistants.updateOne(
        { _id: id, version: doc.version, ...notDeleted },
        deleteWithOutbox([assistantDeleted(doc, now)], { $set: { updatedAt: now } }),
      );
      if (result.matchedCount > 0) {
        this.options.eventsQueued({ collection: this.assistants.name, id });
        return { deletedAssistantId: id };
      }
    }
    throw codedError('CONFLICT', 'The assistant keeps changing; try again', { field: 'id' });
  }

  /** An assistant `user` may use, else NOT_FOUND (missing, deleted, or not theirs to see). */
  private async usable(user: UserPrincipal, id: string): Promise<AssistantDoc> {
    checkId(id);
    const doc = await this.assistants.findById(id);
    if (!canUse(doc, user)) throw codedError('NOT_FOUND', 'Assistant not found', { field: 'id' });
    return doc;
  }

  /** An assistant `user` may change: NOT_FOUND if they may not even see it, FORBIDDEN if they only use it. */
  private async changeable(user: UserPrincipal, id: string): Promise<AssistantDoc> {
    const doc = await this.usable(user, id);
    if (!canChange(doc, user)) throw codedError('FORBIDDEN', 'Only its owner (or an ADMIN) may change this assistant', { field: 'id' });
    return doc;
  }

  /** Inserts a new assistant of `user` with `assistant.created`, within their cap. */
  private async insert(user: UserPrincipal, doc: AssistantDoc): Promise<AssistantDoc> {
    // Count and insert run under the owner's lock: concurrent creates on this instance queue, so
    // none sees a count another is about to raise. Across replicas the cap may be passed by the
    // creates racing on other instances at that moment (at most one each).
    const stored = await this.creates.run(user.userId, async () => {
      const owned = await this.assistants.count({ ownerId: user.userId, ...notDeleted });
      if (owned >= this.options.maxPerUser)
        throw codedError('CONFLICT', `You have ${this.options.maxPerUser} assistants, the most one user may have; delete some first`, {
          limit: this.options.maxPerUser,
        });
      return this.assistants.insertOne(insertWithOutbox(doc, [assistantCreated(doc)]));
    });
    this.options.eventsQueued({ collection: this.assistants.name, id: stored._id });
    return stored;
  }

  /**
   * Applies `changes` as one new version with its `assistant.updated`, conditional on the version
   * read: a change that got in between is retried on the new state (or, with `expectedVersion`,
   * is CONFLICT). A change that changes nothing writes nothing and keeps the version.
   */
  private async change(
    user: UserPrincipal,
    id: string,
    expectedVersion: number | null | undefined,
    changes: Changes | ((doc: AssistantDoc) => Changes | Promise<Changes>),
  ): Promise<AssistantDoc> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const doc = await this.changeable(user, id);
      if (expectedVersion !== null && expectedVersion !== undefined && doc.version !== expectedVersion)
        throw codedError('CONFLICT', 'The assistant was changed since you read it', {
          field: 'expectedVersion',
          currentVersion: doc.version,
        });
      const set = typeof changes === 'function' ? await changes(doc) : changes;
      const changed = (Object.keys(set) as Array<keyof Changes>).some((key) => JSON.stringify(set[key]) !== JSON.stringify(doc[key]));
      if (!changed) return doc;
      const next: AssistantDoc = { ...doc, ...set, version: doc.version + 1, updatedAt: this.options.now() };
      const updated = await this.assistants.findOneAndUpdate(
        { _id: id, version: doc.version, ...notDeleted },
        updateWithOutbox({ $set: { ...set, version: next.version, updatedAt: next.updatedAt } }, [assistantUpdated(next)]),
        { returnDocument: 'after' },
      );
      if (updated) {
        this.options.eventsQueued({ collection: this.assistants.name, id });
        return updated;
      }
      // Another change (or a delete) got in between: the next attempt reads it.
    }
    throw codedError('CONFLICT', 'The assistant keeps changing; try again', { field: 'id' });
  }
}
