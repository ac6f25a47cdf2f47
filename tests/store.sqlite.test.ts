/** The SQLite adapter against the store contract (the same suite the PostgreSQL adapter runs). */
import { openSqliteStore } from '../store/sqlite.js';
import { storeContract } from './store.contract.js';

storeContract('sqlite', async () => openSqliteStore(':memory:'));
