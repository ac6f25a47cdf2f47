/**
 * The PostgreSQL adapter as `store/open.ts` loads it (only when `DATABASE_URL` names a postgres://
 * address, so the embedded default never loads the network driver).
 */

export { openPg, type PgDb, redactUrl } from './db.js';
export { createPgStore, openPgStore as openPostgresStore, type PgStore, type PgStoreOptions } from './store.js';
