import { type Category, loadCategories } from '../cases/categories.js';
import { type Area, loadArea, loadTownPoints, type TownPoints } from '../cases/geo.js';
import { type CaseService, createCaseService } from '../cases/service.js';
import { projectPath } from '../core/paths.js';
import type { MilestoneDesk } from '../jobs/desk.js';
import { createLedger } from '../jobs/ledger.js';
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
import { type ApiKeyStore, createApiKeyStore, createQuestionStore, type QuestionStore } from '../store/questions.js';
import { createSessionStore } from '../store/sessions.js';
import { createUploadStore, type UploadStore } from '../store/uploads.js';
import type { Config } from './config.js';
import { corpusDirOf, searchSettingsOf } from './corpus.js';
import { type CuratedAnswerer, createCuratedAnswerer } from './curated.js';
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
  /** The unanswered-questions queue, ratings and curated answers (issue 10). */
  questions: QuestionStore;
  /** The answerer the dialog uses: curated answers first, then the knowledge module's. */
  answerer: CuratedAnswerer;
  /** Open311 API keys. */
  apiKeys: ApiKeyStore;
  /** The corpus folder in use (imports write here). */
  corpusDir: string;
  /**
   * Rebuilds the knowledge module from the corpus folder and swaps it in without a restart: the
   * answerer (curated answers stay in front) and the milestones in the store. Returns the new one.
   */
  reloadKnowledge(now: Date): Knowledge;
  close(): void;
}

export { corpusDirOf, dataCorpusDir } from './corpus.js';

/** The parts of the program that the milestone desk and the jobs are built from. */
export type AppParts = Omit<App, 'dialog' | 'delivery' | 'close' | 'questions' | 'answerer' | 'apiKeys' | 'corpusDir' | 'reloadKnowledge'>;

/** Options of assembly that tests and tools vary. */
export interface AppOptions {
  /** An open database to use instead of DATABASE_PATH. */
  db?: Db;
  /** An already opened knowledge module (tests share one). */
  knowledge?: Knowledge;
  milestones?: (app: AppParts) => MilestoneDesk;
  onError?: (e: unknown) => void;
}

/** Puts a category's default unit into the routing table where no route is set yet. */
export function seedRouting(cases: CaseStore, categories: Category[]): void {
  const have = new Set(cases.routes().map((r) => `${r.category}|${r.town}`));
  for (const c of categories) if (!have.has(`${c.id}|*`)) cases.setRoute(c.id, null, c.unit);
}

/** The jobs of an assembled program, with the reminder settings of its config. */
export function createAppJobs(app: AppParts, now: Date): Jobs {
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
  const open = () =>
    openKnowledge({
      corpusDir: corpusDirOf(config),
      ...(config.LEXICON_DIR ? { lexiconDir: config.LEXICON_DIR } : {}),
      snapshotPath: config.INDEX_SNAPSHOT_PATH,
      search: searchSettingsOf(config),
      contacts,
      ledger,
    });
  const knowledge = options.knowledge ?? open();
  const questions = createQuestionStore(db);
  const answerer = createCuratedAnswerer({ inner: knowledge.answerer, questions });
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
    answerer,
    feedback: answerer,
    deskLink: (actor, now) => {
      if (actor.role !== 'official' && actor.role !== 'admin') return null;
      const code = sessions.issueCode(actor.role, actor.unit, now);
      const base = config.PUBLIC_BASE_URL ?? `http://${config.HTTP_HOST}:${config.HTTP_PORT}`;
      return `${base.replace(/\/$/, '')}/desk/login#${code}`;
    },
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
  const app: App = {
    ...parts,
    dialog,
    delivery,
    questions,
    answerer,
    apiKeys: createApiKeyStore(db),
    corpusDir: corpusDirOf(config),
    reloadKnowledge(now) {
      const next = open();
      // The new corpus gets its own search port when first searched; the old one lets go of its files.
      void app.knowledge.closeSearch();
      app.corpusDir = corpusDirOf(config);
      app.knowledge = next;
      answerer.setInner(next.answerer);
      createLedger(db, categories).sync(next.kb.milestones, now);
      return next;
    },
    close: () => {
      void app.knowledge.closeSearch();
      db.close();
    },
  };
  return app;
}
