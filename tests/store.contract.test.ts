/** The store contract on the SQLite adapter (the embedded default). */
import { readState } from '../bot/dialog/state.js';
import { openSqliteStore } from '../store/sqlite.js';
import { storeContract } from './store.contract.js';

storeContract('sqlite', async () => openSqliteStore(':memory:', { readState }));
