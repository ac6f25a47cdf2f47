/**
 * The schema, as numbered migrations. Never edit a released migration: add the next one
 * (tests/store.test.ts hashes each released migration, so an edit fails the tests).
 *
 * A migration is SQL, or a function for changes SQL alone cannot make conditionally (a column
 * that older databases may lack). Each runs in its own transaction.
 */
import type Database from 'better-sqlite3';

/** A migration: SQL, or a function of the open database. */
export type Migration = string | { describe: string; up: (db: Database.Database) => void };

/** Whether a table has a column. */
function hasColumn(db: Database.Database, table: string, column: string): boolean {
  return (db.prepare(`SELECT 1 FROM pragma_table_info(?) WHERE name = ?`).get(table, column) as unknown) !== undefined;
}

/** The CREATE statement of a table or index, or null. */
function sqlOf(db: Database.Database, name: string): string | null {
  return (db.prepare('SELECT sql FROM sqlite_master WHERE name = ?').pluck().get(name) as string | undefined) ?? null;
}

export const MIGRATIONS: Migration[] = [
  // 1: the contact directory entered by administrators (the records list no contacts).
  `CREATE TABLE contacts (
     id INTEGER PRIMARY KEY,
     unit TEXT NOT NULL,
     name TEXT NOT NULL,
     phone TEXT NOT NULL,
     hours TEXT,
     note TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     UNIQUE (unit, name)
   ) STRICT;`,

  // 2: people, roles, dialog state, cases and their history, routing, and the outbox.
  `CREATE TABLE identities (
     channel TEXT NOT NULL,
     user_id TEXT NOT NULL,
     role TEXT NOT NULL CHECK (role IN ('citizen', 'official', 'admin')),
     unit TEXT,
     name TEXT,
     created_at TEXT NOT NULL,
     PRIMARY KEY (channel, user_id)
   ) STRICT;
   CREATE TABLE invites (
     code TEXT PRIMARY KEY,
     role TEXT NOT NULL CHECK (role IN ('official', 'admin')),
     unit TEXT,
     created_at TEXT NOT NULL,
     expires_at TEXT NOT NULL,
     used_at TEXT,
     used_by TEXT
   ) STRICT;
   CREATE TABLE dialogs (
     channel TEXT NOT NULL,
     user_id TEXT NOT NULL,
     chat_id TEXT NOT NULL,
     state TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (channel, user_id)
   ) STRICT;
   CREATE TABLE inbound_seen (
     channel TEXT NOT NULL,
     message_id TEXT NOT NULL,
     seen_at TEXT NOT NULL,
     PRIMARY KEY (channel, message_id)
   ) STRICT;
   CREATE TABLE cases (
     id INTEGER PRIMARY KEY,
     ticket TEXT NOT NULL UNIQUE,
     channel TEXT NOT NULL,
     user_id TEXT NOT NULL,
     chat_id TEXT NOT NULL,
     category TEXT NOT NULL,
     town TEXT,
     address TEXT,
     lat REAL,
     lon REAL,
     description TEXT NOT NULL,
     since TEXT,
     anonymous INTEGER NOT NULL CHECK (anonymous IN (0, 1)),
     phone TEXT,
     unit TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     accept_due TEXT NOT NULL,
     complete_due TEXT,
     closed_at TEXT,
     duplicate_of INTEGER REFERENCES cases (id),
     refuse_reason TEXT,
     refer_to TEXT,
     satisfaction TEXT,
     source_key TEXT UNIQUE
   ) STRICT;
   CREATE INDEX cases_user ON cases (channel, user_id, created_at);
   CREATE INDEX cases_unit_status ON cases (unit, status, accept_due);
   CREATE INDEX cases_town ON cases (town, created_at);
   CREATE TABLE case_photos (
     case_id INTEGER NOT NULL REFERENCES cases (id),
     position INTEGER NOT NULL,
     channel TEXT NOT NULL,
     file_ref TEXT NOT NULL,
     PRIMARY KEY (case_id, position)
   ) STRICT, WITHOUT ROWID;
   CREATE TABLE case_events (
     id INTEGER PRIMARY KEY,
     case_id INTEGER NOT NULL REFERENCES cases (id),
     at TEXT NOT NULL,
     actor_role TEXT NOT NULL,
     actor TEXT NOT NULL,
     from_status TEXT,
     to_status TEXT NOT NULL,
     note TEXT
   ) STRICT;
   CREATE INDEX case_events_case ON case_events (case_id, id);
   CREATE TABLE routing (
     category TEXT NOT NULL,
     town TEXT NOT NULL DEFAULT '*',
     unit TEXT NOT NULL,
     PRIMARY KEY (category, town)
   ) STRICT;
   CREATE TABLE unit_chats (
     unit TEXT NOT NULL,
     channel TEXT NOT NULL,
     chat_id TEXT NOT NULL,
     bound_by TEXT NOT NULL,
     bound_at TEXT NOT NULL,
     PRIMARY KEY (unit, channel, chat_id)
   ) STRICT;
   CREATE TABLE outbox (
     id INTEGER PRIMARY KEY,
     dedupe_key TEXT UNIQUE,
     channel TEXT,
     chat_id TEXT,
     unit TEXT,
     kind TEXT NOT NULL,
     text TEXT NOT NULL,
     choices TEXT,
     status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'unroutable')),
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at TEXT NOT NULL,
     last_error TEXT,
     created_at TEXT NOT NULL,
     sent_at TEXT
   ) STRICT;
   CREATE INDEX outbox_pending ON outbox (status, next_attempt_at);
   CREATE INDEX outbox_chat ON outbox (channel, chat_id, status);`,

  // 3: milestones and their history, and the lease that lets one scheduler run a job at a time.
  `CREATE TABLE milestones (
     id INTEGER PRIMARY KEY,
     key TEXT NOT NULL UNIQUE,
     title TEXT NOT NULL,
     due_date TEXT NOT NULL,
     due_label TEXT NOT NULL,
     unit TEXT,
     document TEXT,
     locator TEXT,
     origin TEXT NOT NULL CHECK (origin IN ('corpus', 'official')),
     status TEXT NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
     snoozed_until TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   ) STRICT;
   CREATE TABLE milestone_events (
     id INTEGER PRIMARY KEY,
     milestone_id INTEGER NOT NULL REFERENCES milestones (id),
     at TEXT NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     note TEXT
   ) STRICT;
   CREATE TABLE reminder_log (
     milestone_id INTEGER NOT NULL REFERENCES milestones (id),
     unit TEXT NOT NULL,
     kind TEXT NOT NULL,
     period TEXT NOT NULL,
     decided_at TEXT NOT NULL,
     PRIMARY KEY (milestone_id, unit, kind, period)
   ) STRICT;
   CREATE TABLE leases (
     name TEXT PRIMARY KEY,
     holder TEXT NOT NULL,
     until TEXT NOT NULL
   ) STRICT;`,

  // --- issue 11 (hardening) ---
  // Two migrations; the lead renumbers them at merge (they only need to come after 1–3).

  // 4: repairs databases created before migrations 2 and 3 were edited after release. Those
  // edits (outbox.choices, reminder_log, the outbox_chat index, cases_town replacing
  // cases_category_town, case_photos WITHOUT ROWID) never reached a database that had already
  // run 2 and 3; this brings such a database to the state a fresh one has. A no-op on a fresh one.
  {
    describe: 'bring databases created before the edits of migrations 2 and 3 to the same schema',
    up(db) {
      if (!hasColumn(db, 'outbox', 'choices')) {
        // Rebuilt rather than ALTERed, so the columns stand in the same order as in a fresh database.
        db.exec(`CREATE TABLE outbox_repaired (
           id INTEGER PRIMARY KEY,
           dedupe_key TEXT UNIQUE,
           channel TEXT,
           chat_id TEXT,
           unit TEXT,
           kind TEXT NOT NULL,
           text TEXT NOT NULL,
           choices TEXT,
           status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'unroutable')),
           attempts INTEGER NOT NULL DEFAULT 0,
           next_attempt_at TEXT NOT NULL,
           last_error TEXT,
           created_at TEXT NOT NULL,
           sent_at TEXT
         ) STRICT;
         INSERT INTO outbox_repaired (id, dedupe_key, channel, chat_id, unit, kind, text, status, attempts, next_attempt_at, last_error, created_at, sent_at)
           SELECT id, dedupe_key, channel, chat_id, unit, kind, text, status, attempts, next_attempt_at, last_error, created_at, sent_at FROM outbox;
         DROP TABLE outbox;
         ALTER TABLE outbox_repaired RENAME TO outbox;
         CREATE INDEX outbox_pending ON outbox (status, next_attempt_at);`);
      }
      db.exec(`CREATE INDEX IF NOT EXISTS outbox_chat ON outbox (channel, chat_id, status);
         CREATE TABLE IF NOT EXISTS reminder_log (
           milestone_id INTEGER NOT NULL REFERENCES milestones (id),
           unit TEXT NOT NULL,
           kind TEXT NOT NULL,
           period TEXT NOT NULL,
           decided_at TEXT NOT NULL,
           PRIMARY KEY (milestone_id, unit, kind, period)
         ) STRICT;
         DROP INDEX IF EXISTS cases_category_town;
         CREATE INDEX IF NOT EXISTS cases_town ON cases (town, created_at);`);
      if (!/WITHOUT\s+ROWID/i.test(sqlOf(db, 'case_photos') ?? '')) {
        db.exec(`CREATE TABLE case_photos_repaired (
           case_id INTEGER NOT NULL REFERENCES cases (id),
           position INTEGER NOT NULL,
           channel TEXT NOT NULL,
           file_ref TEXT NOT NULL,
           PRIMARY KEY (case_id, position)
         ) STRICT, WITHOUT ROWID;
         INSERT INTO case_photos_repaired SELECT case_id, position, channel, file_ref FROM case_photos;
         DROP TABLE case_photos;
         ALTER TABLE case_photos_repaired RENAME TO case_photos;`);
      }
    },
  },

  // 5: hardening. Inbound message ids scoped per user and chat (one user's id can no longer
  // swallow another's message); whether an owed reply asks for a location button; server-issued
  // web sessions and one-time sign-in codes (both stored hashed); rate-limit hits; web uploads
  // under a quota; the numbered choices a WeCom user last saw; the /healthz write probe.
  `CREATE TABLE inbound_messages (
     channel TEXT NOT NULL,
     user_id TEXT NOT NULL,
     chat_id TEXT NOT NULL,
     message_id TEXT NOT NULL,
     seen_at TEXT NOT NULL,
     PRIMARY KEY (channel, user_id, chat_id, message_id)
   ) STRICT, WITHOUT ROWID;
   CREATE INDEX inbound_messages_seen ON inbound_messages (seen_at);
   DROP TABLE inbound_seen;
   ALTER TABLE outbox ADD COLUMN request_location INTEGER NOT NULL DEFAULT 0 CHECK (request_location IN (0, 1));
   CREATE TABLE web_sessions (
     id_hash TEXT PRIMARY KEY,
     user_id TEXT NOT NULL,
     role TEXT NOT NULL CHECK (role IN ('citizen', 'official', 'admin')),
     unit TEXT,
     csrf TEXT NOT NULL,
     client TEXT,
     created_at TEXT NOT NULL,
     seen_at TEXT NOT NULL,
     expires_at TEXT NOT NULL
   ) STRICT;
   CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
   CREATE TABLE login_codes (
     code_hash TEXT PRIMARY KEY,
     role TEXT NOT NULL CHECK (role IN ('official', 'admin')),
     unit TEXT,
     created_at TEXT NOT NULL,
     expires_at TEXT NOT NULL,
     used_at TEXT,
     used_by TEXT
   ) STRICT;
   CREATE TABLE rate_hits (
     bucket TEXT NOT NULL,
     key TEXT NOT NULL,
     at TEXT NOT NULL
   ) STRICT;
   CREATE INDEX rate_hits_key ON rate_hits (bucket, key, at);
   CREATE TABLE uploads (
     ref TEXT PRIMARY KEY,
     channel TEXT NOT NULL,
     user_id TEXT NOT NULL,
     bytes INTEGER NOT NULL,
     mime TEXT NOT NULL,
     created_at TEXT NOT NULL,
     attached_at TEXT
   ) STRICT;
   CREATE INDEX uploads_user ON uploads (channel, user_id, created_at);
   CREATE TABLE chat_choices (
     channel TEXT NOT NULL,
     user_id TEXT NOT NULL,
     choices TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (channel, user_id)
   ) STRICT;
   CREATE TABLE health_probe (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     at TEXT NOT NULL
   ) STRICT;`,
  // --- end of issue 11 (hardening) ---

  // --- issue 9 (ledger) ---
  // 6: the living ledger. Milestones keep their sources, what the documents say of their outcome
  // and the units an administrator assigned; restatements merged into another milestone point to
  // it. Progress updates, the body → unit mapping table, and the links of cases to milestones.
  `ALTER TABLE milestones ADD COLUMN text TEXT;
   ALTER TABLE milestones ADD COLUMN sources TEXT;
   ALTER TABLE milestones ADD COLUMN outcome TEXT CHECK (outcome IN ('met', 'missed', 'unreported'));
   ALTER TABLE milestones ADD COLUMN evidence TEXT;
   ALTER TABLE milestones ADD COLUMN assigned TEXT;
   ALTER TABLE milestones ADD COLUMN merged_into INTEGER REFERENCES milestones (id);
   UPDATE milestones SET assigned = unit
     WHERE id IN (SELECT milestone_id FROM milestone_events WHERE action = 'assigned');
   CREATE INDEX milestone_events_milestone ON milestone_events (milestone_id, id);
   CREATE TABLE milestone_updates (
     id INTEGER PRIMARY KEY,
     milestone_id INTEGER NOT NULL REFERENCES milestones (id),
     date TEXT NOT NULL,
     unit TEXT,
     author TEXT,
     text TEXT NOT NULL,
     via TEXT NOT NULL,
     created_at TEXT NOT NULL
   ) STRICT;
   CREATE INDEX milestone_updates_milestone ON milestone_updates (milestone_id, date);
   CREATE TABLE unit_map (
     id INTEGER PRIMARY KEY,
     document TEXT NOT NULL DEFAULT '*',
     scope TEXT NOT NULL DEFAULT '*',
     body TEXT NOT NULL,
     unit TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('stated', 'inferred', 'confirmed', 'removed')),
     reason TEXT,
     updated_by TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     UNIQUE (document, scope, body, unit)
   ) STRICT;
   CREATE TABLE case_links (
     case_id INTEGER PRIMARY KEY REFERENCES cases (id),
     milestone_id INTEGER REFERENCES milestones (id),
     score REAL,
     linked_by TEXT NOT NULL,
     linked_at TEXT NOT NULL
   ) STRICT;
   CREATE INDEX case_links_milestone ON case_links (milestone_id);`,

  // --- issue 12 (chat) ---
  // 7: the language each chat identity writes in (citizens' notices follow it); the web chat's
  // conversation log (restored after a reload); photos downloaded on receipt (WeCom media expire
  // after 3 days); the known units (invites and routing are checked against them); notices kept
  // for a unit with no bound chat are released when one binds.
  `CREATE TABLE chat_prefs (
     channel TEXT NOT NULL,
     user_id TEXT NOT NULL,
     lang TEXT NOT NULL CHECK (lang IN ('zh', 'en')),
     updated_at TEXT NOT NULL,
     PRIMARY KEY (channel, user_id)
   ) STRICT;
   CREATE TABLE chat_log (
     id INTEGER PRIMARY KEY,
     channel TEXT NOT NULL,
     user_id TEXT NOT NULL,
     who TEXT NOT NULL CHECK (who IN ('me', 'bot', 'note')),
     text TEXT NOT NULL,
     choices TEXT,
     at TEXT NOT NULL
   ) STRICT;
   CREATE INDEX chat_log_user ON chat_log (channel, user_id, id);
   CREATE TABLE photo_files (
     ref TEXT PRIMARY KEY,
     file TEXT NOT NULL,
     mime TEXT NOT NULL,
     bytes INTEGER NOT NULL,
     created_at TEXT NOT NULL
   ) STRICT;
   CREATE TABLE known_units (
     name TEXT PRIMARY KEY,
     added_by TEXT NOT NULL,
     added_at TEXT NOT NULL
   ) STRICT;
   ALTER TABLE outbox ADD COLUMN released_at TEXT;
   ALTER TABLE outbox ADD COLUMN photos TEXT;
   CREATE INDEX outbox_held ON outbox (unit, status);`,
  // --- end of issue 12 (chat) ---

  // --- issue 10 (desk) ---
  // 8: the officials' desk. Every answer the assistant gives is logged (so its asker can rate it
  // 👍/👎 by id); questions answered "not in the records" and answers rated 👎 are queued with a
  // count per normalised question; curated answers written at the desk win over generated ones;
  // Open311 API keys are stored hashed.
  `CREATE TABLE answer_log (
     id INTEGER PRIMARY KEY,
     channel TEXT,
     user_id TEXT,
     question TEXT NOT NULL,
     norm TEXT NOT NULL,
     found INTEGER NOT NULL,
     curated_id INTEGER,
     at TEXT NOT NULL
   ) STRICT;
   CREATE TABLE answer_ratings (
     answer_id INTEGER NOT NULL REFERENCES answer_log (id),
     channel TEXT NOT NULL,
     user_id TEXT NOT NULL,
     rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
     at TEXT NOT NULL,
     PRIMARY KEY (answer_id, channel, user_id)
   ) STRICT;
   CREATE TABLE question_queue (
     id INTEGER PRIMARY KEY,
     norm TEXT NOT NULL UNIQUE,
     question TEXT NOT NULL,
     lang TEXT NOT NULL DEFAULT 'zh',
     not_found INTEGER NOT NULL DEFAULT 0,
     rated_down INTEGER NOT NULL DEFAULT 0,
     first_at TEXT NOT NULL,
     last_at TEXT NOT NULL,
     state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'answered', 'out_of_scope', 'dismissed')),
     handled_by TEXT,
     handled_at TEXT
   ) STRICT;
   CREATE INDEX question_queue_state ON question_queue (state, last_at);
   CREATE TABLE curated_answers (
     id INTEGER PRIMARY KEY,
     question TEXT NOT NULL,
     norm TEXT NOT NULL,
     answer TEXT NOT NULL,
     unit TEXT NOT NULL,
     author TEXT NOT NULL,
     created_at TEXT NOT NULL,
     active INTEGER NOT NULL DEFAULT 1
   ) STRICT;
   CREATE INDEX curated_answers_norm ON curated_answers (norm);
   CREATE TABLE open311_keys (
     id INTEGER PRIMARY KEY,
     key_hash TEXT NOT NULL UNIQUE,
     name TEXT NOT NULL,
     created_at TEXT NOT NULL,
     revoked_at TEXT
   ) STRICT;`,
  // --- end of issue 10 (desk) ---

  // --- issue 12 rest ---
  // 9: WeCom template cards sent for choices. A click names only the card's task id and the
  // button's key, so the card's user and buttons are kept to check the click and to show the
  // chosen label; a card is answered once (`chosen_at`).
  `CREATE TABLE wecom_cards (
     task_id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL,
     choices TEXT NOT NULL,
     created_at TEXT NOT NULL,
     chosen_value TEXT,
     chosen_at TEXT
   ) STRICT;`,
  // --- end of issue 12 rest ---
  // --- issue 13 (corpus version) ---
  // 10: the corpus that officials' imports made, held in the store so that every replica (which
  // may not share a disk) can write it into its own data folder: the files by name (the manifest
  // among them), and one version row that replicas poll and that an import bumps in the same
  // transaction as the files.
  `CREATE TABLE corpus_version (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     version INTEGER NOT NULL,
     hash TEXT NOT NULL,
     updated_at TEXT NOT NULL
   ) STRICT;
   CREATE TABLE corpus_files (
     name TEXT PRIMARY KEY,
     content TEXT NOT NULL
   ) STRICT;`,
  // --- end of issue 13 ---
];
