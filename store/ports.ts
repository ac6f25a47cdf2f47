/**
 * The store's ports: one small asynchronous interface per concern, and the unit of work that binds
 * them into one transaction. Everything above `store/` (cases, jobs, bot, cli) speaks only these
 * interfaces; an adapter implements them over one database (`store/sqlite.ts`, the embedded
 * default over better-sqlite3; a PostgreSQL adapter over a pool). `openStore(config)` in
 * `store/open.ts` picks the adapter: `DATABASE_URL=postgres://…` or `DATABASE_PATH`.
 *
 * Guarantees every adapter keeps:
 * - `transaction(fn)` runs `fn` in one database transaction (committed when `fn` resolves, rolled
 *   back when it throws). A transaction inside a transaction is a savepoint of it: an inner failure
 *   that the outer function catches undoes only the inner work.
 * - Inside `fn`, the ports of `tx` and the store's own ports both act inside the transaction (the
 *   adapter carries the transaction along the async call chain), so a service built once over the
 *   store's ports joins whatever unit of work calls it.
 * - Each inbound message is handled in one transaction with its seen-record (`inbound.firstSeen`)
 *   and its outbox rows; ticket numbers are unique (`cases.hasTicket` then `cases.insert` in one
 *   transaction, and a unique index); outbox rows are written in the deciding transaction.
 * - A transaction that meets a busy database (another process's write lock) is retried as a whole
 *   after a short asynchronous wait, so `fn` must not have effects outside the store.
 */
import type { CaseStatus, OutboxKind, OutboxStatus } from '../core/domain.js';
import type { Lang } from '../core/messages/index.js';
import type { Contact, Milestone, ProgressUpdate, UnitSeed } from '../knowledge/mod.js';
import type { CaseEvent, CaseFilter, CaseRecord, NewCase } from './cases.js';
import type { ChatLine } from './chats.js';
import type { StoredChoice } from './choices.js';
import type { ContactRow } from './contacts.js';
import type { CaseLink, StoredUpdate } from './ledger.js';
import type { MilestoneEvent, MilestoneRow } from './milestones.js';
import type { OutboxInput, OutboxMessage } from './outbox.js';
import type { Identity, PersonRole, UnitChat } from './people.js';
import type { CuratedAnswer, LoggedAnswer, QueuedQuestion } from './questions.js';
import type { SessionRow } from './sessions.js';
import type { UnitMapping } from './units.js';
import type { WeComCard } from './wecom-cards.js';

export type {
  CaseEvent,
  CaseFilter,
  CaseLink,
  CaseRecord,
  ChatLine,
  ContactRow,
  CuratedAnswer,
  Identity,
  LoggedAnswer,
  MilestoneEvent,
  MilestoneRow,
  NewCase,
  OutboxInput,
  OutboxMessage,
  PersonRole,
  QueuedQuestion,
  SessionRow,
  StoredChoice,
  StoredUpdate,
  UnitChat,
  UnitMapping,
  WeComCard,
};

/** Fields of a case that its lifecycle changes. */
export type CaseUpdate = Partial<
  Pick<
    CaseRecord,
    'status' | 'category' | 'unit' | 'completeDue' | 'closedAt' | 'duplicateOf' | 'refuseReason' | 'referTo' | 'satisfaction'
  >
>;

/** Complaint cases, their photos and history, and the routing table (category × 镇街 → unit). */
export interface CasePort {
  insert(c: NewCase): Promise<CaseRecord>;
  byTicket(ticket: string): Promise<CaseRecord | null>;
  /** Whether a ticket number is taken (cheaper than byTicket). */
  hasTicket(ticket: string): Promise<boolean>;
  byId(id: number): Promise<CaseRecord | null>;
  bySourceKey(key: string): Promise<CaseRecord | null>;
  /** A user's cases, newest first. */
  forUser(channel: string, userId: string, limit: number): Promise<CaseRecord[]>;
  /** Cases matching the filter, oldest first. */
  list(filter: CaseFilter): Promise<CaseRecord[]>;
  countSince(channel: string, userId: string, since: Date): Promise<number>;
  update(id: number, fields: CaseUpdate, now: Date): Promise<void>;
  addEvent(caseId: number, e: CaseEvent): Promise<void>;
  events(caseId: number): Promise<CaseEvent[]>;
  /**
   * Cases of a category created since a date or instant (ISO 8601), with coordinates inside a box
   * around a point (≤ 50, newest first).
   */
  near(category: string, lat: number, lon: number, degrees: number, since: string): Promise<CaseRecord[]>;
  /** Cases in a 镇街 created since a date or instant (ISO 8601; ≤ 50, newest first). */
  inTown(town: string, since: string): Promise<CaseRecord[]>;
  /** Units with a case in none of these statuses. */
  unitsWithCasesNotIn(statuses: CaseStatus[]): Promise<string[]>;
  /** The unit for a category in a 镇街: the town's own route, else the category's ("*"). */
  route(category: string, town: string | null): Promise<string | null>;
  setRoute(category: string, town: string | null, unit: string): Promise<void>;
  removeRoute(category: string, town: string | null): Promise<number>;
  routes(): Promise<Array<{ category: string; town: string; unit: string }>>;
}

/**
 * Dialog state per chat identity, stored as versioned JSON `{"v": n, "state": …}`. `get` hands the
 * stored JSON to the reader the adapter was opened with (it validates and upgrades); `raw` returns it
 * as it is.
 */
export interface DialogPort {
  get<T>(channel: string, userId: string): Promise<T | null>;
  /** The stored JSON as it is (undefined when none; null when it is not JSON). */
  raw(channel: string, userId: string): Promise<unknown | undefined>;
  put<T>(channel: string, userId: string, chatId: string, state: T, now: Date): Promise<void>;
  clear(channel: string, userId: string): Promise<void>;
}

/** Inbound message ids already handled, scoped per channel, user and chat (at-most-once handling). */
export interface InboundSeenPort {
  /** Records an inbound message id; false when it was seen before. */
  firstSeen(channel: string, userId: string, chatId: string, messageId: string, now: Date): Promise<boolean>;
  /** Forgets ids seen before `before`. */
  pruneSeen(before: Date): Promise<number>;
}

/** Chat identities and their roles, invite codes, unit chats bound for pushes. */
export interface PeoplePort {
  /** The identity, or a citizen when the user is unknown. */
  identity(channel: string, userId: string): Promise<Identity>;
  /** Creates a one-time invite code (valid 7 days). */
  invite(role: 'official' | 'admin', unit: string | null, now: Date): Promise<string>;
  /** Redeems an invite code; null when unknown, used or expired. */
  redeem(code: string, channel: string, userId: string, name: string | null, now: Date): Promise<Identity | null>;
  officials(unit: string): Promise<Identity[]>;
  admins(): Promise<Identity[]>;
  bindChat(unit: string, channel: string, chatId: string, by: string, now: Date): Promise<void>;
  /** Everywhere a unit is spoken to: its bound chats and its officials' own chats. */
  targets(unit: string): Promise<Array<{ channel: string; chatId: string }>>;
  /** The administrators' own chats. */
  adminTargets(): Promise<Array<{ channel: string; chatId: string }>>;
  unitChats(unit: string): Promise<UnitChat[]>;
  allUnitChats(): Promise<UnitChat[]>;
  list(): Promise<Identity[]>;
  /** Sets an identity's role directly (a web sign-in with a one-time code). */
  bind(channel: string, userId: string, role: PersonRole, unit: string | null, name: string | null, now: Date): Promise<void>;
  forget(channel: string, userId: string): Promise<void>;
}

/** Every message owed to someone; written in the deciding transaction, sent later by the dispatcher. */
export interface OutboxPort {
  /** Enqueues a message; false when its dedupe key was already used. */
  enqueue(m: OutboxInput, now: Date): Promise<boolean>;
  /** Pending messages due at `now` for the given channels, oldest first. */
  due(now: Date, limit: number, channels: string[]): Promise<OutboxMessage[]>;
  /** Pending messages for one chat, oldest first. */
  pendingFor(channel: string, chatId: string, limit: number): Promise<OutboxMessage[]>;
  /** How many messages are pending (for /healthz). */
  pendingCount(): Promise<number>;
  markSent(id: number, now: Date): Promise<void>;
  /** A failed send: pending again at `retryAt`, or failed for good when null. */
  markFailed(id: number, error: string, retryAt: Date | null): Promise<void>;
  list(filter?: { status?: OutboxStatus; kind?: OutboxKind }): Promise<OutboxMessage[]>;
  hasKey(key: string): Promise<boolean>;
  /** Forgets delivered replies (kind "reply") sent before `before`. */
  pruneDeliveredReplies(before: Date): Promise<number>;
  /** Messages whose dedupe key starts with `prefix`, in order. */
  byKeyPrefix(prefix: string): Promise<OutboxMessage[]>;
  /** Notices kept for a unit that had no chat (unroutable, not released), oldest first. */
  heldFor(unit: string): Promise<OutboxMessage[]>;
  heldUnits(): Promise<string[]>;
  markReleased(id: number, now: Date): Promise<void>;
}

/** Milestones: the documents' dated targets (synchronised) and officials' own, with their history. */
export interface MilestonePort {
  /** Brings the documents' milestones into the store (aliases upgraded, restatements merged); how many were added. */
  sync(list: Milestone[], now: Date): Promise<number>;
  /** Milestones (merged restatements left out), by due date. */
  list(filter?: { status?: string; unit?: string }): Promise<MilestoneRow[]>;
  get(id: number): Promise<MilestoneRow | null>;
  byKey(key: string): Promise<MilestoneRow | null>;
  setStatus(id: number, status: MilestoneRow['status'], actor: string, note: string | null, now: Date): Promise<void>;
  snooze(id: number, until: string, actor: string, now: Date, note?: string | null): Promise<void>;
  /** Assigns handling units; an empty list undoes it. */
  assign(id: number, unit: string | string[], actor: string, now: Date): Promise<void>;
  add(m: { title: string; dueDate: string; unit: string | null }, actor: string, now: Date): Promise<MilestoneRow>;
  events(id: number): Promise<MilestoneEvent[]>;
  note(id: number, actor: string, action: string, note: string | null, now: Date): Promise<void>;
}

/** The body → handling unit table (stated / inferred / confirmed / removed). */
export interface UnitMapPort {
  seed(seeds: UnitSeed[], now: Date): Promise<number>;
  list(filter?: { state?: string; body?: string; all?: boolean }): Promise<UnitMapping[]>;
  get(id: number): Promise<UnitMapping | null>;
  /** The live mappings of a body for a task of a document (most specific stated level, else inferred). */
  lookup(document: string | null, scope: string | null, body: string): Promise<UnitMapping[]>;
  set(body: string, units: string[], where: { document?: string; scope?: string }, actor: string, now: Date): Promise<UnitMapping[]>;
  confirm(id: number, actor: string, now: Date): Promise<UnitMapping | null>;
  remove(id: number, actor: string, now: Date): Promise<boolean>;
}

/** The living ledger: progress updates on milestones and case ↔ milestone links. */
export interface LedgerPort {
  addUpdate(
    u: { milestoneId: number; date: string; unit: string | null; author: string | null; text: string; via: string },
    now: Date,
  ): Promise<StoredUpdate>;
  /** A milestone's updates, newest first. */
  updates(milestoneId: number): Promise<StoredUpdate[]>;
  updatesSince(since: Date): Promise<StoredUpdate[]>;
  /** Every update, newest first, in the shape the answerer reads (for its in-memory view). */
  allUpdates(): Promise<ProgressUpdate[]>;
  /** Counted cases linked to each milestone key (duplicates and refused reports left out). */
  linkCountsByKey(): Promise<Map<string, number>>;
  link(caseId: number): Promise<CaseLink | null>;
  setLink(caseId: number, milestoneId: number | null, score: number | null, by: string, now: Date): Promise<void>;
  /** Counted cases linked to each milestone row, filed in [from, to) when given. */
  linkCounts(range?: { from: Date; to: Date }): Promise<Map<number, number>>;
}

/** Contacts administrators enter for units. */
export interface ContactPort {
  set(c: Contact, now: Date): Promise<ContactRow>;
  list(): Promise<ContactRow[]>;
  forUnit(unit: string): Promise<ContactRow[]>;
  remove(unit: string, name?: string): Promise<number>;
}

/** Answers given, ratings, the unanswered-questions queue and curated answers. */
export interface QuestionPort {
  logAnswer(
    a: { channel: string | null; userId: string | null; question: string; norm: string; found: boolean; curatedId: number | null },
    now: Date,
  ): Promise<number>;
  answer(id: number): Promise<LoggedAnswer | null>;
  /** Records a rating once per asker; false when this asker had rated it the same way. */
  rate(answerId: number, channel: string, userId: string, rating: 'up' | 'down', now: Date): Promise<boolean>;
  ratings(): Promise<{ up: number; down: number }>;
  enqueue(q: { norm: string; question: string; lang: string; reason: 'not_found' | 'down' }, now: Date): Promise<void>;
  queue(state?: QueuedQuestion['state'] | 'all'): Promise<QueuedQuestion[]>;
  get(id: number): Promise<QueuedQuestion | null>;
  counts(): Promise<Record<QueuedQuestion['state'], number>>;
  setState(id: number, state: QueuedQuestion['state'], by: string, now: Date): Promise<void>;
  addCurated(c: { question: string; norm: string; answer: string; unit: string; author: string }, now: Date): Promise<CuratedAnswer>;
  curated(): Promise<CuratedAnswer[]>;
}

/** Open311 API keys (only hashes stored). */
export interface ApiKeyPort {
  insert(keyHash: string, name: string, now: Date): Promise<number>;
  byHash(keyHash: string): Promise<{ id: number; name: string } | null>;
  revoke(id: number, now: Date): Promise<boolean>;
  list(): Promise<Array<{ id: number; name: string; createdAt: string; revokedAt: string | null }>>;
}

/** Web sessions and one-time sign-in codes (hashes only). */
export interface SessionPort {
  insert(s: SessionRow): Promise<void>;
  byHash(idHash: string): Promise<SessionRow | null>;
  touch(idHash: string, seenAt: Date, expiresAt: Date): Promise<void>;
  remove(idHash: string): Promise<SessionRow | null>;
  /** Removes expired sessions; returns them. */
  expired(now: Date): Promise<SessionRow[]>;
  ofUser(userId: string): Promise<SessionRow[]>;
  insertCode(c: { codeHash: string; role: 'official' | 'admin'; unit: string | null; createdAt: Date; expiresAt: Date }): Promise<void>;
  /** Uses a code once: its role and unit, or null when unknown, used or expired. */
  useCode(codeHash: string, by: string, now: Date): Promise<{ role: 'official' | 'admin'; unit: string | null } | null>;
}

/** Rate limits that hold across sessions, restarts and processes. */
export interface LimitPort {
  /** Records a hit and returns true when fewer than `limit` hits fall in the window; else false (nothing recorded). */
  take(bucket: string, key: string, now: Date, windowMs: number, limit: number): Promise<boolean>;
  count(bucket: string, key: string, since: Date): Promise<number>;
  record(bucket: string, key: string, now: Date): Promise<void>;
  prune(before: Date): Promise<number>;
}

/** Photos uploaded through the web chat (owner, size, whether a report took them). */
export interface UploadPort {
  record(u: { ref: string; channel: string; userId: string; bytes: number; mime: string }, now: Date): Promise<void>;
  totalBytes(): Promise<number>;
  pendingCount(channel: string, userId: string, since: Date): Promise<number>;
  owns(channel: string, userId: string, ref: string): Promise<boolean>;
  attach(refs: string[], now: Date): Promise<void>;
  /** Forgets uploads no report took before `before`; their references. */
  removeOrphans(before: Date): Promise<string[]>;
}

/** Files kept for other channels' photos, by channel reference. */
export interface PhotoFilePort {
  record(ref: string, file: string, mime: string, bytes: number, now: Date): Promise<void>;
  /** The kept file's name (under the upload folder), or null. */
  file(ref: string): Promise<string | null>;
}

/** Languages people write in, and the web chat's conversation log. */
export interface ChatPort {
  lang(channel: string, userId: string): Promise<Lang | null>;
  setLang(channel: string, userId: string, lang: Lang, now: Date): Promise<void>;
  log(channel: string, userId: string, lines: Array<Omit<ChatLine, 'at'>>, now: Date): Promise<void>;
  /** The last `limit` lines, oldest first. */
  history(channel: string, userId: string, limit: number): Promise<ChatLine[]>;
  forget(channel: string, userId: string): Promise<void>;
  prune(before: Date): Promise<number>;
}

/** The numbered choices a user of a text-only channel last saw. */
export interface ChoicePort {
  put(channel: string, userId: string, choices: StoredChoice[], now: Date): Promise<void>;
  get(channel: string, userId: string): Promise<StoredChoice[] | null>;
}

/** WeCom template cards sent for choices; a card is answered once. */
export interface WeComCardPort {
  put(taskId: string, userId: string, choices: StoredChoice[], now: Date): Promise<void>;
  get(taskId: string): Promise<WeComCard | null>;
  /** Records the choice; false when the card was answered before. */
  choose(taskId: string, value: string, now: Date): Promise<boolean>;
}

/** Units the store knows besides the data files' (routes, mappings, contacts, identities, added ones). */
export interface KnownUnitPort {
  names(): Promise<string[]>;
  add(name: string, by: string, now: Date): Promise<void>;
}

/** Reminders already decided (idempotence per milestone, unit, kind and period). */
export interface ReminderLogPort {
  has(milestoneId: number, unit: string, kind: string, period: string): Promise<boolean>;
  /** Result requests made so far for a milestone and unit, and the last period. */
  requests(milestoneId: number, unit: string): Promise<{ count: number; last: string | null }>;
  record(milestoneId: number, unit: string, kind: string, period: string, now: Date): Promise<void>;
  /** Escalations made (milestone and the unit that did not answer), by unit then milestone. */
  escalations(): Promise<Array<{ milestoneId: number; unit: string }>>;
  /**
   * Called first in a transaction that decides reminders: waits until no other transaction that
   * serialised the same `job` is open, and keeps later ones waiting until this one ends. So runs of
   * a job that meet (replicas called directly, without the scheduler's lease) decide one after the
   * other, the later one reading what the earlier recorded. Outside a transaction it only waits.
   */
  serialise(job: string): Promise<void>;
}

/** Leases: one holder per named firing across processes (the scheduler's run coordinator). */
export interface LeasePort {
  /** Claims `name` until `until` when free or expired; true when this holder got it. */
  claim(name: string, holder: string, until: Date, now: Date): Promise<boolean>;
  prune(before: Date): Promise<number>;
}

/** The corpus that officials' imports made, as the store holds it for every replica. */
export interface StoredCorpus {
  /** Goes up by one with every import accepted on any replica. */
  version: number;
  /** The hash of the files (names and contents), to tell a local copy that already matches. */
  hash: string;
  updatedAt: Date;
  /** The corpus folder's files by name: `manifest.json` and the documents it lists. */
  files: Record<string, string>;
}

/**
 * The imported corpus and its version (issue 13): an import writes the files and bumps the
 * version in one transaction; every replica polls `version()` and, when it moved, reads the files
 * into its own corpus folder and reloads its knowledge.
 */
export interface CorpusPort {
  /** The version of the stored corpus; 0 when no import was ever stored. */
  version(): Promise<number>;
  /** The stored corpus, or null when no import was ever stored. */
  read(): Promise<StoredCorpus | null>;
  /**
   * Replaces the stored files with `files` and bumps the version; the new version. Call it inside
   * a transaction (the files and the version change together).
   */
  publish(files: Record<string, string>, hash: string, now: Date): Promise<number>;
}

/** The store's own health: a real write, and the schema version. */
export interface HealthPort {
  probe(now: Date): Promise<void>;
  schemaVersion(): Promise<number>;
}

/** All the ports, as the store and as a transaction expose them. */
export interface Ports {
  cases: CasePort;
  dialogs: DialogPort;
  inbound: InboundSeenPort;
  people: PeoplePort;
  outbox: OutboxPort;
  milestones: MilestonePort;
  units: UnitMapPort;
  ledger: LedgerPort;
  contacts: ContactPort;
  questions: QuestionPort;
  apiKeys: ApiKeyPort;
  sessions: SessionPort;
  limits: LimitPort;
  uploads: UploadPort;
  photos: PhotoFilePort;
  chats: ChatPort;
  choices: ChoicePort;
  wecomCards: WeComCardPort;
  knownUnits: KnownUnitPort;
  reminders: ReminderLogPort;
  leases: LeasePort;
  health: HealthPort;
  corpus: CorpusPort;
}

/** Options of one unit of work. */
export interface TransactionOptions {
  /** Always roll back (a dry run that reads what it would write). */
  rollback?: boolean;
}

/** A unit of work's ports. */
export type Tx = Ports;

/** An opened store: its ports, the unit of work, and its life. */
export interface Store extends Ports {
  /** Which adapter this is. */
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Runs `fn` in one transaction (a savepoint when already inside one) and returns its result;
   * see the guarantees above.
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Whether the calling async context is inside a transaction of this store. */
  inTransaction(): boolean;
  /** Writes a consistent copy of the store to a file (SQLite's online backup; adapters without it refuse). */
  backup(path: string): Promise<void>;
  close(): Promise<void>;
}

/** What every adapter is opened with besides its address. */
export interface StoreOptions {
  /** Validates (and upgrades) a stored dialog state for `dialogs.get`; default: as stored. */
  readState?: (stored: unknown) => unknown | null;
}

/** Where the store lives, read from the settings by the composition root. */
export type StoreConfig = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };
