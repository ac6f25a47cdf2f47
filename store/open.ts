/**
 * The seam where an adapter is chosen: `openStore` returns the ports of the SQLite adapter for a
 * file path, or of the PostgreSQL adapter for a `postgres://` address. The PostgreSQL adapter is a
 * module of its own (`store/postgres/mod.ts`, exporting `openPostgresStore(url, options)`), loaded
 * only when asked for, so the embedded default never loads a network driver.
 */
import { RectifyError } from '../core/errors.js';
import type { Store, StoreConfig, StoreOptions } from './ports.js';
import { openSqliteStore } from './sqlite.js';

/** The store settings: `DATABASE_URL` (postgres://…) wins over `DATABASE_PATH`. */
export function storeConfigOf(settings: { DATABASE_PATH: string; DATABASE_URL?: string | undefined }): StoreConfig {
  const url = settings.DATABASE_URL?.trim();
  if (url && /^postgres(ql)?:\/\//i.test(url)) return { kind: 'postgres', url };
  return { kind: 'sqlite', path: settings.DATABASE_PATH };
}

/** Opens the store the settings name (migrated to the newest schema). */
export async function openStore(config: StoreConfig, options: StoreOptions = {}): Promise<Store> {
  if (config.kind === 'sqlite') return openSqliteStore(config.path, options);
  // A variable specifier: the adapter is optional at build time.
  const spec = './postgres/mod.js';
  let mod: { openPostgresStore?: (url: string, o: StoreOptions) => Promise<Store> };
  try {
    mod = (await import(spec)) as typeof mod;
  } catch (cause) {
    throw new RectifyError('store', 'open', 'PostgreSQL adapter not available in this build (DATABASE_URL)', { cause });
  }
  if (!mod.openPostgresStore) throw new RectifyError('store', 'open', 'PostgreSQL adapter has no openPostgresStore');
  return mod.openPostgresStore(config.url, options);
}
