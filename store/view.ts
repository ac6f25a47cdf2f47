/**
 * The answerer's view of the store, held in memory: the contacts administrators entered and the
 * living ledger (progress updates, linked-case counts by milestone key). The knowledge module is
 * pure and synchronous and reads them through `ContactDirectory` and `LedgerView`; this view loads
 * them from the asynchronous ports at start, is marked stale by writes that change them
 * (`observeWrites`), and is reloaded on demand (`fresh`) before the next answer — or after
 * `maxAgeMs`, so writes of other processes on a shared database show up too.
 */
import type { Contact, ContactDirectory, LedgerView, ProgressUpdate } from '../knowledge/mod.js';
import type { Ports, Store } from './ports.js';

/** The in-memory view. */
export interface KnowledgeView {
  contacts: ContactDirectory;
  ledger: LedgerView;
  /** Marks the view stale (a write changed what it holds). */
  invalidate(): void;
  /** Reloads when stale or older than `maxAgeMs` at `now`. */
  fresh(now: Date): Promise<void>;
  /** Reloads now. */
  refresh(now: Date): Promise<void>;
}

/** Loads the view from the store's ports at `now`. */
export async function loadKnowledgeView(
  ports: Pick<Ports, 'contacts' | 'ledger'>,
  now: Date,
  options: { maxAgeMs?: number } = {},
): Promise<KnowledgeView> {
  const maxAge = options.maxAgeMs ?? 30_000;
  let contacts = new Map<string, Contact[]>();
  let updates: ProgressUpdate[] = [];
  let counts = new Map<string, number>();
  let loadedAt = 0;
  let stale = true;
  let loading: Promise<void> | null = null;

  async function load(now: Date): Promise<void> {
    // Marked fresh before reading: a write during the load marks it stale again.
    stale = false;
    const [c, u, n] = await Promise.all([ports.contacts.list(), ports.ledger.allUpdates(), ports.ledger.linkCountsByKey()]);
    const byUnit = new Map<string, Contact[]>();
    for (const row of c) {
      const list = byUnit.get(row.unit) ?? [];
      list.push({ unit: row.unit, name: row.name, phone: row.phone, hours: row.hours, note: row.note });
      byUnit.set(row.unit, list);
    }
    contacts = byUnit;
    updates = u;
    counts = n;
    loadedAt = now.getTime();
  }

  const view: KnowledgeView = {
    contacts: { forUnit: (unit) => contacts.get(unit) ?? [] },
    ledger: {
      updatesFor(keys) {
        if (keys.length === 0) return [];
        const wanted = new Set(keys);
        return updates.filter((u) => wanted.has(u.milestoneId));
      },
      linkedCaseCount(keys) {
        let n = 0;
        for (const k of new Set(keys)) n += counts.get(k) ?? 0;
        return n;
      },
      isEmpty: () => updates.length === 0 && [...counts.values()].every((n) => n === 0),
    },
    invalidate() {
      stale = true;
    },
    async refresh(now) {
      if (loading) await loading;
      loading = load(now).finally(() => {
        loading = null;
      });
      await loading;
    },
    async fresh(now) {
      if (stale || now.getTime() - loadedAt > maxAge || now.getTime() < loadedAt) await view.refresh(now);
    },
  };
  await view.refresh(now);
  return view;
}

/** The writes that change what the answerer holds in memory: the view's data, and curated answers. */
const WATCHED: Partial<Record<keyof Ports, string[]>> = {
  contacts: ['set', 'remove'],
  ledger: ['addUpdate', 'setLink'],
  cases: ['insert', 'update'],
  milestones: ['sync', 'add'],
  questions: ['addCurated'],
};

/**
 * The store with the writes that change what the answerer holds reported to `onWrite` (with the
 * port written) once they resolve — inside a transaction too: a reload then reads the
 * transaction's own writes, or waits for its commit.
 */
export function observeWrites<S extends Store>(store: S, onWrite: (port: keyof Ports) => void): S {
  const wrap = <P extends Ports>(p: P): P => {
    // Objects over the originals (not copies): an adapter's ports may be class instances.
    const out = Object.create(p) as Record<string, unknown>;
    for (const [port, methods] of Object.entries(WATCHED) as Array<[keyof Ports, string[]]>) {
      const inner = p[port] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      const copy = Object.create(inner) as Record<string, unknown>;
      for (const m of methods) {
        const f = inner[m];
        if (!f) continue;
        copy[m] = async (...args: unknown[]) => {
          const r = await f.apply(inner, args);
          onWrite(port);
          return r;
        };
      }
      out[port] = copy;
    }
    return out as P;
  };
  const transaction = store.transaction.bind(store);
  return Object.assign(wrap(store), {
    async transaction<T>(fn: (tx: Ports) => Promise<T>, o?: Parameters<Store['transaction']>[1]): Promise<T> {
      let kept = false;
      try {
        const r = await transaction((tx) => fn(wrap(tx)), o);
        kept = !o?.rollback;
        return r;
      } finally {
        // Work undone (a failure, a dry run) may have been read into memory meanwhile: read again.
        if (!kept) for (const port of Object.keys(WATCHED) as Array<keyof Ports>) onWrite(port);
      }
    },
  });
}
