/**
 * The SQLite adapter of the store's ports (the embedded default): one better-sqlite3 connection,
 * WAL, numbered migrations (`store/db.ts`), and the synchronous repositories of `store/*.ts`
 * behind asynchronous ports.
 *
 * The unit of work: better-sqlite3 is synchronous and has one connection, so a transaction that
 * awaits between its statements must own the connection until it ends. An in-process async mutex
 * serialises the transactions (BEGIN IMMEDIATE … COMMIT / ROLLBACK); the transaction in progress is
 * carried along its async call chain (AsyncLocalStorage), so every port called inside it — through
 * `tx` or through the store itself — runs in it, and a transaction inside it is a savepoint. A port
 * called outside any transaction also takes the mutex for its one statement, so it never lands in
 * another caller's open transaction. Another process's write lock (SQLITE_BUSY at BEGIN IMMEDIATE
 * or during the work) makes the whole transaction wait asynchronously and run again.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createCaseStore } from './cases.js';
import { createChatStore } from './chats.js';
import { createChoiceStore } from './choices.js';
import { createContactStore } from './contacts.js';
import { type Db, isBusy, openDb } from './db.js';
import { createDialogStore, type StateReader } from './dialogs.js';
import { createKnownUnits } from './known-units.js';
import { createLedgerStore } from './ledger.js';
import { createLimitStore } from './limits.js';
import { createMilestoneStore } from './milestones.js';
import { createOutboxStore } from './outbox.js';
import { createPeopleStore } from './people.js';
import type { DialogPort, Ports, Store, TransactionOptions } from './ports.js';
import { createApiKeyStore, createQuestionStore } from './questions.js';
import { createSessionStore } from './sessions.js';
import { createCorpusStore, createHealthStore, createLeaseStore, createPhotoFileStore, createReminderLogStore } from './small.js';
import { createUnitMapStore } from './units.js';
import { createUploadStore } from './uploads.js';
import { createWeComCardStore } from './wecom-cards.js';

/** A synchronous object's methods as asynchronous ones. */
type Asyncified<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/** Options of the SQLite store. */
export interface SqliteStoreOptions {
  /** Validates (and upgrades) a stored dialog state; default: as stored. */
  readState?: StateReader;
  /** Waits between attempts of a transaction that met another process's lock. */
  busyDelaysMs?: number[];
}

/** The SQLite store: the ports, and the connection for what only SQLite has (backup, doctor, tests). */
export interface SqliteStore extends Store {
  readonly kind: 'sqlite';
  readonly db: Db;
}

/** A first-come, first-served async lock; `held` says whether someone holds it now. */
function createMutex(): { readonly held: boolean; lock(): Promise<() => void> } {
  let held = false;
  const waiting: Array<() => void> = [];
  // Handed straight to the next waiter, so the lock is never free while someone waits.
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else held = false;
  };
  return {
    get held() {
      return held;
    },
    lock() {
      if (!held) {
        held = true;
        return Promise.resolve(release);
      }
      return new Promise<() => void>((resolve) => waiting.push(() => resolve(release)));
    },
  };
}

/** Opens the SQLite store at a path (":memory:" for tests), or over a database already open. */
export function openSqliteStore(at: string | Db, options: SqliteStoreOptions = {}): SqliteStore {
  const db = typeof at === 'string' ? openDb(at) : at;
  const mutex = createMutex();
  const current = new AsyncLocalStorage<{ savepoints: number }>();
  const delays = options.busyDelaysMs ?? [20, 50, 100, 200, 400, 800];

  /**
   * Runs one call of a port: directly inside a transaction, or when no transaction holds the
   * connection (the call is synchronous, nothing can come between); else after the transaction.
   */
  async function call<R>(fn: () => R): Promise<R> {
    if (!mutex.held || current.getStore()) return fn();
    const release = await mutex.lock();
    try {
      return fn();
    } finally {
      release();
    }
  }

  function asyncify<T extends object>(o: T): Asyncified<T> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === 'function') out[k] = (...args: unknown[]) => call(() => (v as (...a: unknown[]) => unknown).apply(o, args));
    }
    return out as Asyncified<T>;
  }

  const dialogs = createDialogStore(db, options.readState);
  const cases = createCaseStore(db);
  const dialogPort: DialogPort = {
    get: <T>(channel: string, userId: string) => call(() => dialogs.get<T>(channel, userId)),
    raw: (channel, userId) => call(() => dialogs.raw(channel, userId)),
    put: (channel, userId, chatId, state, now) => call(() => dialogs.put(channel, userId, chatId, state, now)),
    clear: (channel, userId) => call(() => dialogs.clear(channel, userId)),
  };
  const ports: Ports = {
    cases: asyncify(cases),
    dialogs: dialogPort,
    inbound: {
      firstSeen: (channel, userId, chatId, messageId, now) => call(() => dialogs.firstSeen(channel, userId, chatId, messageId, now)),
      pruneSeen: (before) => call(() => dialogs.pruneSeen(before)),
    },
    people: asyncify(createPeopleStore(db)),
    outbox: asyncify(createOutboxStore(db)),
    milestones: asyncify(createMilestoneStore(db)),
    units: asyncify(createUnitMapStore(db)),
    ledger: asyncify(createLedgerStore(db)),
    contacts: asyncify(createContactStore(db)),
    questions: asyncify(createQuestionStore(db)),
    apiKeys: asyncify(createApiKeyStore(db)),
    sessions: asyncify(createSessionStore(db)),
    limits: asyncify(createLimitStore(db)),
    uploads: asyncify(createUploadStore(db)),
    photos: asyncify(createPhotoFileStore(db)),
    chats: asyncify(createChatStore(db)),
    choices: asyncify(createChoiceStore(db)),
    wecomCards: asyncify(createWeComCardStore(db)),
    knownUnits: (() => {
      const k = createKnownUnits(db);
      return { names: () => call(() => k.names()), add: (name: string, by: string, now: Date) => call(() => k.add(name, by, now)) };
    })(),
    reminders: asyncify(createReminderLogStore(db)),
    leases: asyncify(createLeaseStore(db)),
    health: asyncify(createHealthStore(db)),
    corpus: asyncify(createCorpusStore(db)),
  };

  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');

  async function savepoint<T>(state: { savepoints: number }, fn: (tx: Ports) => Promise<T>, o: TransactionOptions): Promise<T> {
    const name = `uow_${++state.savepoints}`;
    db.exec(`SAVEPOINT ${name}`);
    try {
      const r = await fn(ports);
      if (o.rollback) db.exec(`ROLLBACK TO ${name}`);
      db.exec(`RELEASE ${name}`);
      return r;
    } catch (e) {
      if (db.inTransaction) {
        db.exec(`ROLLBACK TO ${name}`);
        db.exec(`RELEASE ${name}`);
      }
      throw e;
    }
  }

  async function transaction<T>(fn: (tx: Ports) => Promise<T>, o: TransactionOptions = {}): Promise<T> {
    const inside = current.getStore();
    if (inside) return savepoint(inside, fn, o);
    for (let attempt = 0; ; attempt++) {
      const release = await mutex.lock();
      let busy: unknown = null;
      try {
        begin.run();
      } catch (e) {
        release();
        if (!isBusy(e) || delays[attempt] === undefined) throw e;
        await new Promise((r) => setTimeout(r, delays[attempt]));
        continue;
      }
      try {
        const r = await current.run({ savepoints: 0 }, () => fn(ports));
        (o.rollback ? rollback : commit).run();
        return r;
      } catch (e) {
        if (db.inTransaction) rollback.run();
        if (!isBusy(e) || delays[attempt] === undefined) throw e;
        busy = e;
      } finally {
        release();
      }
      if (busy) await new Promise((r) => setTimeout(r, delays[attempt]));
    }
  }

  return {
    kind: 'sqlite',
    db,
    ...ports,
    transaction,
    inTransaction: () => current.getStore() !== undefined,
    backup: async (path) => {
      await db.backup(path);
    },
    close: async () => {
      const release = await mutex.lock();
      try {
        if (db.open) db.close();
      } finally {
        release();
      }
    },
  };
}
