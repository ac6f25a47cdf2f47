/**
 * The composition root's core: builds every part of the program from the settings — the store,
 * the knowledge module, the case service and the dialog core. Channels, the HTTP server and the
 * scheduler are started by main.ts on top of this.
 */
import { type Category, loadCategories } from '../cases/categories.js';
import { type Area, loadArea, loadTownPoints, type TownPoints } from '../cases/geo.js';
import { type CaseService, createCaseService } from '../cases/service.js';
import { projectPath } from '../core/paths.js';
import type { MilestoneDesk } from '../jobs/desk.js';
import { createJobs, type Jobs } from '../jobs/mod.js';
import { type Knowledge, openKnowledge } from '../knowledge/mod.js';
import { type CaseStore, createCaseStore } from '../store/cases.js';
import { type ChatStore, createChatStore } from '../store/chats.js';
import { type ChoiceStore, createChoiceStore } from '../store/choices.js';
import { type ContactStore, createContactStore } from '../store/contacts.js';
import { type Db, openDb } from '../store/db.js';
import { createDialogStore, type DialogStore } from '../store/dialogs.js';
import { createKnownUnits, type KnownUnits } from '../store/known-units.js';
import { createLedgerStore, type LedgerStore } from '../store/ledger.js';
import { createLimitStore, type LimitStore } from '../store/limits.js';
import { createOutboxStore, type OutboxStore } from '../store/outbox.js';
import { createPeopleStore, type PeopleStore } from '../store/people.js';
import { createSessionStore } from '../store/sessions.js';
import { createUploadStore, type UploadStore } from '../store/uploads.js';
import type { Config } from './config.js';
import { createDelivery, type Delivery } from './delivery.js';
import { createDialog, type Dialog } from './dialog/dialog.js';
import { readState } from './dialog/state.js';
import { createSessions, type Sessions } from './sessions.js';

/** The assembled program, without its network parts. */
export interface App {
  config: Config;
  db: Db;
  knowledge: Knowledge;
  contacts: ContactStore;
  /** The living ledger's store side (progress updates, case links); the answerer reads it as a LedgerView. */
  ledger: LedgerStore;
  people: PeopleStore;
  cases: CaseStore;
  outbox: OutboxStore;
  dialogs: DialogStore;
  service: CaseService;
  categories: Category[];
  area: Area;
  /** The 镇街' approximate centres (cases/data/towns.json). */
  townPoints: TownPoints;
  /** Languages people write in; the web chat's conversation log. */
  chats: ChatStore;
  /** The units invites and routes may name. */
  units: KnownUnits;
  limits: LimitStore;
  uploads: UploadStore;
  choices: ChoiceStore;
  sessions: Sessions;
  dialog: Dialog;
  /** The dialog with every owed reply in the outbox, committed together (what channels use). */
  delivery: Delivery;
  close(): void;
}

/** Options of assembly that tests and tools vary. */
export interface AppOptions {
  /** An open database to use instead of DATABASE_PATH. */
  db?: Db;
  /** An already opened knowledge module (tests share one). */
  knowledge?: Knowledge;
  milestones?: (app: Omit<App, 'dialog' | 'delivery' | 'close'>) => MilestoneDesk;
  onError?: (e: unknown) => void;
}

/** Puts a category's default unit into the routing table where no route is set yet. */
export function seedRouting(cases: CaseStore, categories: Category[]): void {
  const have = new Set(cases.routes().map((r) => `${r.category}|${r.town}`));
  for (const c of categories) if (!have.has(`${c.id}|*`)) cases.setRoute(c.id, null, c.unit);
}

/** The jobs of an assembled program, with the reminder settings of its config. */
export function createAppJobs(app: Omit<App, 'dialog' | 'delivery' | 'close'>, now: Date): Jobs {
  return createJobs(
    {
      db: app.db,
      kb: app.knowledge.kb,
      people: app.people,
      outbox: app.outbox,
      cases: app.cases,
      service: app.service,
      dialogs: app.dialogs,
      reminders: {
        leadDays: app.config.REMINDER_LEAD_DAYS,
        calendar: { holidays: app.config.HOLIDAYS, workdays: app.config.WORKDAYS },
        resultRequestWeeks: app.config.RESULT_REQUEST_WEEKS,
      },
      rateWithinDays: RATE_WITHIN_DAYS,
      categories: app.categories,
    },
    now,
  );
}

/** Days a citizen has to rate a closed case before it is closed without a rating. */
export const RATE_WITHIN_DAYS = 7;

/** Builds the program from its settings. */
export function createApp(config: Config, options: AppOptions = {}): App {
  const db = options.db ?? openDb(config.DATABASE_PATH);
  const contacts = createContactStore(db);
  const ledger = createLedgerStore(db);
  const knowledge =
    options.knowledge ??
    openKnowledge({
      ...(config.CORPUS_DIR ? { corpusDir: config.CORPUS_DIR } : {}),
      ...(config.LEXICON_DIR ? { lexiconDir: config.LEXICON_DIR } : {}),
      snapshotPath: config.INDEX_SNAPSHOT_PATH,
      contacts,
      ledger,
    });
  const categories = loadCategories(config.CASE_CATEGORIES_FILE ?? projectPath('cases', 'data', 'categories.json'));
  const area = loadArea(projectPath('cases', 'data', 'area.json'));
  const townPoints = loadTownPoints(projectPath('cases', 'data', 'towns.json'), knowledge.lexicon.towns);
  const chats = createChatStore(db);
  const people = createPeopleStore(db);
  const cases = createCaseStore(db);
  const outbox = createOutboxStore(db);
  const dialogs = createDialogStore(db, readState);
  const limits = createLimitStore(db);
  const uploads = createUploadStore(db);
  const choices = createChoiceStore(db);
  const sessions = createSessions({
    db,
    store: createSessionStore(db),
    people,
    settings: {
      citizenDays: config.WEB_SESSION_DAYS,
      signedInHours: config.WEB_SIGNIN_HOURS,
      codeMinutes: config.LOGIN_CODE_MINUTES,
      secureCookie: (config.PUBLIC_BASE_URL ?? '').startsWith('https:'),
    },
  });
  seedRouting(cases, categories);
  const service = createCaseService({
    db,
    cases,
    people,
    outbox,
    categories,
    limits: {
      acceptDays: config.CASE_ACCEPT_DAYS,
      completeDays: config.CASE_COMPLETE_DAYS,
      reportsPerHour: config.REPORTS_PER_HOUR,
      reportsPerHourPerAddress: config.WEB_REPORTS_PER_HOUR_PER_ADDRESS,
    },
    rateLimits: limits,
    langOf: (channel, userId) => chats.lang(channel, userId),
  });
  const parts = {
    config,
    db,
    knowledge,
    contacts,
    ledger,
    people,
    cases,
    outbox,
    dialogs,
    service,
    categories,
    area,
    townPoints,
    chats,
    units: createKnownUnits(db, () => categories.map((c) => c.unit)),
    limits,
    uploads,
    choices,
    sessions,
  };
  const milestones = options.milestones?.(parts);
  const dialog = createDialog({
    db,
    dialogs,
    people,
    cases,
    service,
    answerer: knowledge.answerer,
    categories,
    towns: knowledge.lexicon.towns,
    area,
    townPoints,
    chats,
    acceptDays: config.CASE_ACCEPT_DAYS,
    limits,
    lookupsPerHour: config.LOOKUPS_PER_HOUR,
    ...(milestones ? { milestones } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const delivery = createDelivery({ db, dialog, outbox });
  return { ...parts, dialog, delivery, close: () => db.close() };
}
