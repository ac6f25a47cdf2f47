/**
 * The composition root: the one place that reads the settings, picks the store's adapter
 * (`DATABASE_URL=postgres://…` or the SQLite file at `DATABASE_PATH`), opens the store, builds the
 * knowledge base once, brings the documents' milestones into the store once, and wires every
 * service over the store's ports. `composeApp` assembles the program without its network parts
 * (the command line uses it); `startAssistant` adds the channels, the one HTTP server and the
 * scheduler (`npm start`, through `bot/main.ts`).
 */
import { statSync, unwatchFile, watchFile } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { UserFromGetMe } from 'grammy/types';
import type { createTelegramChannel } from '../bot/channels/telegram.js';
import type { createWeComChannel } from '../bot/channels/wecom/channel.js';
import { type Config, channelsOf, parseConfig, withDotEnv } from '../bot/config.js';
import { corpusDirOf, dataCorpusDir, searchSettingsOf } from '../bot/corpus.js';
import { type CuratedAnswerer, createCuratedAnswerer } from '../bot/curated.js';
import { createDelivery, type Delivery } from '../bot/delivery.js';
import { createDialog, type Dialog } from '../bot/dialog/dialog.js';
import { readState } from '../bot/dialog/state.js';
import { createSessions, type Sessions } from '../bot/sessions.js';
import { type Category, loadCategories } from '../cases/categories.js';
import { type Area, loadArea, loadTownPoints, type TownPoints } from '../cases/geo.js';
import { type CaseService, createCaseService } from '../cases/service.js';
import { type Clock, systemClock } from '../core/clock.js';
import { createLogger, type Logger } from '../core/log.js';
import { projectPath } from '../core/paths.js';
import { createMilestoneDesk, type MilestoneDesk } from '../jobs/desk.js';
import { createLedger, type Ledger } from '../jobs/ledger.js';
import { createJobs, type Jobs, type Senders, startScheduler } from '../jobs/mod.js';
import { type Knowledge, openKnowledge } from '../knowledge/mod.js';
import type { Db } from '../store/db.js';
import { openStore, storeConfigOf } from '../store/open.js';
import { hasStoredPhoto, keepDownloadedPhoto, readStoredPhoto, storePhotoFile } from '../store/photos.js';
import type { Ports, Store } from '../store/ports.js';
import { type KnowledgeView, loadKnowledgeView, observeWrites } from '../store/view.js';
import { type CorpusWatch, createCorpusWatch } from './corpus-sync.js';

/** Reads the settings: `.env` in the working folder under the environment, one validation (throws a readable error). */
export function readSettings(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  return parseConfig(withDotEnv(env, join(cwd, '.env')));
}

/** The units invites, sign-in codes and routes may name. */
export interface KnownUnits {
  known(): Promise<string[]>;
  add(name: string, by: string, now: Date): Promise<void>;
}

/** The assembled program, without its network parts. */
export interface App
  extends Pick<
    Ports,
    'cases' | 'outbox' | 'people' | 'dialogs' | 'contacts' | 'questions' | 'apiKeys' | 'uploads' | 'limits' | 'chats' | 'choices'
  > {
  config: Config;
  /** The store: its ports and its unit of work. */
  store: Store;
  /** The SQLite connection when the store is SQLite (backup, doctor and tests), else null. */
  db: Db | null;
  knowledge: Knowledge;
  /** What the answerer reads of the store (contacts, the living ledger), held in memory. */
  view: KnowledgeView;
  /** The living ledger: milestones, who handles them, progress updates, case links. */
  ledger: Ledger;
  service: CaseService;
  categories: Category[];
  area: Area;
  /** The 镇街' approximate centres (cases/data/towns.json). */
  townPoints: TownPoints;
  units: KnownUnits;
  sessions: Sessions;
  /** Officials' milestone commands (chat). */
  milestones: MilestoneDesk;
  dialog: Dialog;
  /** The dialog with every owed reply in the outbox, committed together (what channels use). */
  delivery: Delivery;
  /** The answerer the dialog uses: curated answers first, then the knowledge module's. */
  answerer: CuratedAnswerer;
  jobs: Jobs;
  /** The corpus folder in use (imports write here). */
  corpusDir: string;
  /**
   * Rebuilds the knowledge module from the corpus folder and swaps it in without a restart: the
   * answerer (curated answers stay in front) and the milestones in the store. Returns the new one.
   */
  reloadKnowledge(now: Date): Promise<Knowledge>;
  /**
   * The stored corpus version (issue 13): `publish` after an import into the corpus folder (the
   * files go into the store and the version moves, then the knowledge reloads); `poll` on a timer
   * brings other replicas' imports into this one's folder and reloads.
   */
  corpus: CorpusWatch;
  close(): Promise<void>;
}

/** Days a citizen has to rate a closed case before it is closed without a rating. */
export const RATE_WITHIN_DAYS = 7;

/** Options of assembly that tests and tools vary. */
export interface ComposeOptions {
  /** An open store to use instead of the one the settings name. */
  store?: Store;
  /** An already opened knowledge module (tests share one). */
  knowledge?: Knowledge;
  /** The time of assembly (milestones synchronised, caches loaded); the system clock's when absent. */
  now?: Date;
  onError?: (e: unknown) => void;
  /**
   * Bring the documents' milestones into the store (default). A command-line tool that does not
   * touch milestones skips it and starts faster.
   */
  syncMilestones?: boolean;
}

/** Puts a category's default unit into the routing table where no route is set yet. */
export async function seedRouting(cases: Ports['cases'], categories: Category[]): Promise<void> {
  const have = new Set((await cases.routes()).map((r) => `${r.category}|${r.town}`));
  for (const c of categories) if (!have.has(`${c.id}|*`)) await cases.setRoute(c.id, null, c.unit);
}

/**
 * Opens the store the settings name and the knowledge module over its in-memory view, without the
 * rest of the program (the command line's questions).
 */
export async function openKnowledgeWithStore(config: Config, now: Date): Promise<{ store: Store; knowledge: Knowledge }> {
  const store = await openStore(storeConfigOf(config), { readState });
  const view = await loadKnowledgeView(store, now);
  const knowledge = openKnowledge({
    // The corpus in use: CORPUS_DIR, or the data folder's copy once a document was imported.
    corpusDir: corpusDirOf(config),
    ...(config.LEXICON_DIR ? { lexiconDir: config.LEXICON_DIR } : {}),
    snapshotPath: config.INDEX_SNAPSHOT_PATH,
    search: searchSettingsOf(config),
    contacts: view.contacts,
    ledger: view.ledger,
  });
  return { store, knowledge };
}

/** Assembles the program from its settings. */
export async function composeApp(config: Config, options: ComposeOptions = {}): Promise<App> {
  const now = options.now ?? systemClock();
  const opened = options.store ?? (await openStore(storeConfigOf(config), { readState }));
  let view: KnowledgeView | null = null;
  let curated: CuratedAnswerer | null = null;
  // Writes that change what the answerer reads mark its in-memory copies stale.
  const store = observeWrites(opened, (port) => (port === 'questions' ? curated?.invalidate() : view?.invalidate()));
  view = await loadKnowledgeView(store, now);
  const kview = view;
  const open = () =>
    openKnowledge({
      corpusDir: corpusDirOf(config),
      ...(config.LEXICON_DIR ? { lexiconDir: config.LEXICON_DIR } : {}),
      snapshotPath: config.INDEX_SNAPSHOT_PATH,
      search: searchSettingsOf(config),
      contacts: kview.contacts,
      ledger: kview.ledger,
    });
  let knowledge = options.knowledge ?? open();
  const answerer = await createCuratedAnswerer({ inner: knowledge.answerer, questions: store.questions, now });
  curated = answerer;
  const categories = loadCategories(config.CASE_CATEGORIES_FILE ?? projectPath('cases', 'data', 'categories.json'));
  const area = loadArea(projectPath('cases', 'data', 'area.json'));
  const townPoints = loadTownPoints(projectPath('cases', 'data', 'towns.json'), knowledge.lexicon.towns);
  const sessions = createSessions({
    store,
    sessions: store.sessions,
    people: store.people,
    settings: {
      citizenDays: config.WEB_SESSION_DAYS,
      signedInHours: config.WEB_SIGNIN_HOURS,
      codeMinutes: config.LOGIN_CODE_MINUTES,
      secureCookie: (config.PUBLIC_BASE_URL ?? '').startsWith('https:'),
    },
  });
  await seedRouting(store.cases, categories);
  const service = createCaseService({
    store,
    cases: store.cases,
    people: store.people,
    outbox: store.outbox,
    categories,
    limits: {
      acceptDays: config.CASE_ACCEPT_DAYS,
      completeDays: config.CASE_COMPLETE_DAYS,
      reportsPerHour: config.REPORTS_PER_HOUR,
      reportsPerHourPerAddress: config.WEB_REPORTS_PER_HOUR_PER_ADDRESS,
    },
    rateLimits: store.limits,
    langOf: (channel, userId) => store.chats.lang(channel, userId),
  });
  const ledger = createLedger(store, categories);
  // The documents' milestones come into the store once, here (and again after an import).
  if (options.syncMilestones !== false) await ledger.sync(knowledge.kb.milestones, now);
  const milestones = createMilestoneDesk(ledger, () => knowledge.kb, service);
  const dialog = createDialog({
    store,
    dialogs: store.dialogs,
    inbound: store.inbound,
    people: store.people,
    cases: store.cases,
    service,
    answerer,
    feedback: answerer,
    deskLink: async (actor, at) => {
      if (actor.role !== 'official' && actor.role !== 'admin') return null;
      const code = await sessions.issueCode(actor.role, actor.unit, at);
      const base = config.PUBLIC_BASE_URL ?? `http://${config.HTTP_HOST}:${config.HTTP_PORT}`;
      return `${base.replace(/\/$/, '')}/desk/login#${code}`;
    },
    beforeAnswer: async (at) => {
      await kview.fresh(at);
      await answerer.fresh(at);
    },
    categories,
    towns: knowledge.lexicon.towns,
    area,
    townPoints,
    chats: store.chats,
    acceptDays: config.CASE_ACCEPT_DAYS,
    limits: store.limits,
    lookupsPerHour: config.LOOKUPS_PER_HOUR,
    milestones,
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const delivery = createDelivery({ store, dialog, outbox: store.outbox });
  const jobs = createJobs({
    store,
    kb: () => knowledge.kb,
    ledger,
    service,
    reminders: {
      leadDays: config.REMINDER_LEAD_DAYS,
      calendar: { holidays: config.HOLIDAYS, workdays: config.WORKDAYS },
      resultRequestWeeks: config.RESULT_REQUEST_WEEKS,
    },
    rateWithinDays: RATE_WITHIN_DAYS,
  });
  const app: App = {
    config,
    store,
    db: opened.kind === 'sqlite' ? ((opened as Store & { db?: Db }).db ?? null) : null,
    knowledge,
    view: kview,
    ledger,
    cases: store.cases,
    outbox: store.outbox,
    people: store.people,
    dialogs: store.dialogs,
    contacts: store.contacts,
    questions: store.questions,
    apiKeys: store.apiKeys,
    uploads: store.uploads,
    limits: store.limits,
    chats: store.chats,
    choices: store.choices,
    service,
    categories,
    area,
    townPoints,
    units: {
      known: async () =>
        [...new Set([...categories.map((c) => c.unit), ...(await store.knownUnits.names())])]
          .filter(Boolean)
          .sort((a, b) => a.localeCompare(b, 'zh')),
      add: (name, by, at) => store.knownUnits.add(name.trim(), by, at),
    },
    sessions,
    milestones,
    dialog,
    delivery,
    answerer,
    jobs,
    corpusDir: corpusDirOf(config),
    async reloadKnowledge(at) {
      const next = open();
      // The new corpus gets its own search port when first searched; the old one lets go of its files.
      void app.knowledge.closeSearch();
      app.corpusDir = corpusDirOf(config);
      knowledge = next;
      app.knowledge = next;
      answerer.setInner(next.answerer);
      await ledger.sync(next.kb.milestones, at);
      return next;
    },
    corpus: createCorpusWatch({
      store,
      dir: () => config.CORPUS_DIR ?? dataCorpusDir(config),
      reload: (at) => app.reloadKnowledge(at),
    }),
    close: async () => {
      await app.knowledge.closeSearch();
      await store.close();
    },
  };
  return app;
}

/** A running assistant. */
export interface Running {
  app: App;
  jobs: Jobs;
  url: string;
  senders: Senders;
  telegram: ReturnType<typeof createTelegramChannel> | null;
  wecom: ReturnType<typeof createWeComChannel> | null;
  /** The HTTP server (tests inject requests into its handler). */
  server: Server;
  stop(): Promise<void>;
}

/** Options that tests vary. */
export interface StartOptions {
  log?: Logger;
  /** The clock every part reads (tests pass a fixed or fake one); the system clock when absent. */
  clock?: Clock;
  telegramBotInfo?: UserFromGetMe;
  /** Start node-cron (off in tests that drive jobs by hand). */
  scheduler?: boolean;
  /** Free bytes on the data disk (tests simulate a full disk). */
  freeBytes?: (path: string) => number | null;
  /** An open store to use instead of the one the settings name. */
  store?: Store;
}

const uploadDirOf = (config: Config) => config.UPLOAD_DIR ?? join(dirname(config.DATABASE_PATH), 'uploads');

/** Starts the assistant: the program, the channels that are configured (the web chat always), the HTTP server and the scheduler. */
export async function startAssistant(config: Config, opts: StartOptions = {}): Promise<Running> {
  // The servers' modules (channels' clients, the desk's document import) load only here: the
  // command line, which composes the same program, starts without them.
  const [{ createTelegramChannel }, { createWebChannel }, { createWeComChannel, robotSender }, { createRobot, createWeComClient }] =
    await Promise.all([
      import('../bot/channels/telegram.js'),
      import('../bot/channels/web/web.js'),
      import('../bot/channels/wecom/channel.js'),
      import('../bot/channels/wecom/client.js'),
    ]);
  const [{ createDesk, DESK_IMPORT_BYTES }, { createHealth }, { BODY_LIMITS, createHttpServer }, { createOpen311 }] = await Promise.all([
    import('../bot/desk/desk.js'),
    import('../bot/health.js'),
    import('../bot/http.js'),
    import('../bot/open311/open311.js'),
  ]);
  const log = opts.log ?? createLogger(config.LOG_LEVEL);
  // The one place the real clock is chosen: every part below is handed this one.
  const clock = opts.clock ?? systemClock;
  const app = await composeApp(config, {
    now: clock(),
    ...(opts.store ? { store: opts.store } : {}),
    onError: (e) => log(`dialog: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, 'error'),
  });
  const { store } = app;
  const uploadDir = uploadDirOf(config);
  const health = createHealth({
    health: store.health,
    dbPath: app.db ? config.DATABASE_PATH : ':memory:',
    minFreeBytes: config.DISK_MIN_FREE_MB * 1048576,
    clock,
    ...(opts.freeBytes ? { freeBytes: opts.freeBytes } : {}),
  });
  const jobs = app.jobs;
  const on = channelsOf(config);
  const senders: Senders = {};

  const telegram = on.telegram
    ? createTelegramChannel({
        token: config.TELEGRAM_BOT_TOKEN as string,
        apiRoot: config.TELEGRAM_API_ROOT,
        webhook: config.TELEGRAM_WEBHOOK_URL
          ? { url: config.TELEGRAM_WEBHOOK_URL, secret: config.TELEGRAM_WEBHOOK_SECRET as string }
          : null,
        photoFile: (ref) => readStoredPhoto(store.photos, uploadDir, ref),
        delivery: app.delivery,
        outbox: store.outbox,
        people: store.people,
        clock,
        log: (l) => log(l, 'warn'),
        ...(opts.telegramBotInfo ? { botInfo: opts.telegramBotInfo } : {}),
      })
    : null;
  if (telegram) senders.telegram = telegram.sender;

  const wecomClient = on.wecomApp
    ? createWeComClient({
        apiBase: config.WECOM_API_BASE,
        corpId: config.WECOM_CORP_ID as string,
        secret: config.WECOM_SECRET as string,
        agentId: config.WECOM_AGENT_ID as number,
      })
    : null;
  const wecom = on.wecomCallback
    ? createWeComChannel({
        token: config.WECOM_TOKEN as string,
        encodingAesKey: config.WECOM_ENCODING_AES_KEY as string,
        corpId: config.WECOM_CORP_ID as string,
        client: wecomClient,
        delivery: app.delivery,
        outbox: store.outbox,
        choices: store.choices,
        // Issue 12: choices as template cards; images downloaded into the store on receipt.
        cards: store.wecomCards,
        photos: {
          has: async (ref) => (await store.photos.file(ref)) !== null,
          save: (ref, bytes, at) => storePhotoFile(store.photos, uploadDir, ref, bytes, config.UPLOAD_MAX_MB * 1048576, at),
          read: (ref) => readStoredPhoto(store.photos, uploadDir, ref),
        },
        maxPhotoBytes: config.UPLOAD_MAX_MB * 1048576,
        lang: (userId) => store.chats.lang('wecom', userId),
        maxSkewSeconds: config.WECOM_MAX_CLOCK_SKEW_SECONDS,
        clock,
        log: (l) => log(l, 'warn'),
      })
    : null;
  if (wecom) senders.wecom = wecom.sender;
  if (on.wecomRobot) senders['wecom-robot'] = robotSender(createRobot(config.WECOM_API_BASE), config.WECOM_WEBHOOK_KEY);

  const web = createWebChannel({
    delivery: app.delivery,
    outbox: store.outbox,
    dialogs: store.dialogs,
    sessions: app.sessions,
    limits: store.limits,
    uploads: store.uploads,
    uploadDir,
    chats: store.chats,
    casePhoto: async (viewer, ticket, ref) => {
      const id = await store.people.identity('web', viewer.userId);
      const c = await app.service.visibleTo(ticket, { channel: 'web', userId: viewer.userId, role: id.role, unit: id.unit });
      if (!c || id.role === 'citizen' || !c.photos.includes(ref)) return null;
      return readStoredPhoto(store.photos, uploadDir, ref);
    },
    webLimits: {
      photoBytes: config.UPLOAD_MAX_MB * 1048576,
      uploadQuotaBytes: config.UPLOAD_QUOTA_MB * 1048576,
      diskMinFreeBytes: config.DISK_MIN_FREE_MB * 1048576,
      sessionsPerHourPerAddress: config.WEB_SESSIONS_PER_HOUR_PER_ADDRESS,
    },
    onStoreError: health.noteStoreError,
    clock,
    log: (l) => log(l, 'error'),
  });
  // Issue 10: the officials' desk and the Open311 API, on the same server. A document imported
  // (at the desk, or by `npm run admin -- import` while this runs) is loaded without a restart.
  const manifestPath = join(config.CORPUS_DIR ?? dataCorpusDir(config), 'manifest.json');
  const mtimeOf = () => {
    try {
      return statSync(manifestPath).mtimeMs;
    } catch {
      return 0;
    }
  };
  let loadedManifest = mtimeOf();
  // The desk's import: into the store for every replica (issue 13), then loaded here.
  const reload = async (at: Date) => {
    await app.corpus.publish(at);
    loadedManifest = mtimeOf();
  };
  const onManifest = (cur: { mtimeMs: number }) => {
    if (!cur.mtimeMs || cur.mtimeMs === loadedManifest) return;
    app.reloadKnowledge(clock()).then(
      () => {
        loadedManifest = mtimeOf();
        log(`知识库已重新加载 / knowledge reloaded: ${app.knowledge.kb.documents.length} documents`);
      },
      (e) => log(`knowledge reload failed: ${e instanceof Error ? e.message : String(e)}`, 'error'),
    );
  };
  watchFile(manifestPath, { interval: 5000, persistent: false }, onManifest);
  // Issue 13: imports accepted on other replicas (which may not share this disk) come through the
  // store's corpus version, looked at every CORPUS_POLL_SECONDS (and once at start).
  const pollCorpus = () =>
    app.corpus.poll(clock()).then(
      (reloaded) => {
        if (!reloaded) return;
        loadedManifest = mtimeOf();
        log(`知识库已从存储同步 / knowledge synchronised from the store: ${app.knowledge.kb.documents.length} documents`);
      },
      (e) => log(`corpus sync failed: ${e instanceof Error ? e.message : String(e)}`, 'error'),
    );
  await pollCorpus();
  const corpusTimer = setInterval(() => void pollCorpus(), config.CORPUS_POLL_SECONDS * 1000);
  corpusTimer.unref();
  // Photos of cases reported on Telegram: fetched from the Bot API on the server the first time the
  // desk shows them (the download address has the bot token and stays here), checked to be an
  // image and kept in the photo store; later views read the kept file.
  const fetching = new Map<string, Promise<{ bytes: Buffer; mime: string } | null>>();
  const telegramRef = (channel: string, ref: string) => channel === 'telegram' && ref.length <= 512 && !/^[a-z-]+:/.test(ref);
  const deskPhotos = {
    shown: async (c: { channel: string }, ref: string) =>
      (await hasStoredPhoto(store.photos, ref)) || (telegram !== null && telegramRef(c.channel, ref)),
    async get(c: { channel: string }, ref: string) {
      const kept = await readStoredPhoto(store.photos, uploadDir, ref);
      if (kept || !telegram || !telegramRef(c.channel, ref)) return kept;
      const had = fetching.get(ref);
      if (had) return had;
      const job = (async () => {
        const bytes = await telegram.downloadFile(ref, config.UPLOAD_MAX_MB * 1048576);
        if (!bytes) return null;
        const photo = await keepDownloadedPhoto(store.photos, uploadDir, ref, bytes, clock());
        if (!photo) log('telegram: a case photo is not an image; not kept', 'warn');
        return photo;
      })().finally(() => fetching.delete(ref));
      fetching.set(ref, job);
      return job;
    },
  };
  const desk = createDesk({
    sessions: app.sessions,
    service: app.service,
    cases: store.cases,
    categories: app.categories,
    towns: app.knowledge.lexicon.towns,
    questions: store.questions,
    answerer: app.answerer,
    ledger: app.ledger,
    limits: store.limits,
    knowledge: () => app.knowledge,
    uploadDir,
    photos: deskPhotos,
    corpusDir: () => app.corpusDir,
    importDir: config.CORPUS_DIR ?? dataCorpusDir(config),
    reload,
    clock,
    log: (l) => log(l, 'info'),
  });
  const open311 = createOpen311({
    cases: store.cases,
    service: app.service,
    categories: app.categories,
    towns: app.knowledge.lexicon.towns,
    area: app.area,
    apiKeys: store.apiKeys,
    limits: store.limits,
    clock,
    onFiled: (c, at) => app.ledger.linkOf(c, at),
  });
  const server = createHttpServer({
    routes: [
      {
        prefix: '/desk/',
        bodyLimit: (path) => (path.startsWith('/desk/import') ? DESK_IMPORT_BYTES : BODY_LIMITS.api),
        handle: desk.handle,
      },
      { prefix: '/open311/', bodyLimit: () => BODY_LIMITS.api, handle: open311.handle },
    ],
    web,
    telegram: telegram?.webhook ?? null,
    wecom,
    trustProxy: config.HTTP_TRUST_PROXY,
    photoBytes: config.UPLOAD_MAX_MB * 1048576,
    log: (l) => log(l, 'error'),
    onError: health.noteStoreError,
    health: async () => {
      const h = await health.report();
      let pendingOutbox: number | null = null;
      try {
        pendingOutbox = await store.outbox.pendingCount();
      } catch {}
      return {
        ok: h.ok,
        status: h.status,
        store: {
          status: h.ok ? 'ok' : 'degraded',
          kind: store.kind,
          problems: h.problems,
          schema: h.schema,
          freeMB: h.freeMB,
          pendingOutbox,
        },
        knowledge: {
          documents: app.knowledge.kb.documents.length,
          statements: app.knowledge.statements.statements.length,
          segmenter: app.knowledge.segmenter.kind,
        },
        channels: {
          web: 'on',
          telegram: telegram ? telegram.status() : 'off',
          wecomCallback: wecom ? 'on' : 'off',
          wecomApp: wecomClient ? 'on' : 'off',
          wecomRobot: on.wecomRobot ? 'on' : 'off',
        },
      };
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new Error(
              `端口 ${config.HTTP_HOST}:${config.HTTP_PORT} 已被占用，请关闭占用它的程序或设置 HTTP_PORT / port in use: set HTTP_PORT`,
            )
          : e,
      ),
    );
    server.listen(config.HTTP_PORT, config.HTTP_HOST, resolve);
  });
  const address = server.address() as AddressInfo;
  const url = `http://${config.HTTP_HOST}:${address.port}`;

  if (telegram) await telegram.start();
  const scheduler =
    config.JOBS_ENABLED && opts.scheduler !== false
      ? startScheduler(
          store.leases,
          jobs.schedule({ reminders: config.REMINDER_CRON, digest: config.DIGEST_CRON, dispatch: config.DISPATCH_CRON }, senders),
          (l) => log(l, 'error'),
          clock,
        )
      : null;

  return {
    app,
    jobs,
    url,
    senders,
    telegram,
    wecom,
    server,
    async stop() {
      unwatchFile(manifestPath, onManifest);
      clearInterval(corpusTimer);
      await scheduler?.stop();
      await telegram?.stop();
      await wecom?.idle();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await app.close();
    },
  };
}
