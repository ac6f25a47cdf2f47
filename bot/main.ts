/**
 * The composition root: reads the settings, opens the store and the knowledge module, starts the
 * channels that are configured (the local web chat always), the one HTTP server and the scheduler.
 * `npm start` runs this with the embedded defaults and no accounts.
 */
import { statSync, unwatchFile, watchFile } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { UserFromGetMe } from 'grammy/types';
import { createLogger, type Logger } from '../core/log.js';
import { createMilestoneDesk } from '../jobs/desk.js';
import { createLedger } from '../jobs/ledger.js';
import { type Jobs, type Senders, startScheduler } from '../jobs/mod.js';
import { hasPhotoFile, hasStoredPhoto, keepDownloadedPhoto, readStoredPhoto, storePhotoFile } from '../store/photos.js';
import { createWeComCardStore } from '../store/wecom-cards.js';
import { type App, createApp, createAppJobs, dataCorpusDir } from './app.js';
import { createTelegramChannel } from './channels/telegram.js';
import { createWebChannel } from './channels/web/web.js';
import { createWeComChannel, robotSender } from './channels/wecom/channel.js';
import { createRobot, createWeComClient } from './channels/wecom/client.js';
import { type Config, channelsOf, parseConfig, withDotEnv } from './config.js';
import { createDesk, DESK_IMPORT_BYTES } from './desk/desk.js';
import { createHealth } from './health.js';
import { BODY_LIMITS, createHttpServer } from './http.js';
import { createOpen311 } from './open311/open311.js';

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
  clock?: () => Date;
  telegramBotInfo?: UserFromGetMe;
  /** Start node-cron (off in tests that drive jobs by hand). */
  scheduler?: boolean;
  /** Free bytes on the data disk (tests simulate a full disk). */
  freeBytes?: (path: string) => number | null;
}

const uploadDirOf = (config: Config) => config.UPLOAD_DIR ?? join(dirname(config.DATABASE_PATH), 'uploads');

/** Starts the assistant. */
export async function startAssistant(config: Config, opts: StartOptions = {}): Promise<Running> {
  const log = opts.log ?? createLogger(config.LOG_LEVEL);
  const clock = opts.clock ?? (() => new Date());
  const app = createApp(config, {
    milestones: (p) => createMilestoneDesk(p.db, p.knowledge.kb, p.categories, p.service),
    onError: (e) => log(`dialog: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, 'error'),
  });
  const health = createHealth({
    db: app.db,
    dbPath: config.DATABASE_PATH,
    minFreeBytes: config.DISK_MIN_FREE_MB * 1048576,
    clock,
    ...(opts.freeBytes ? { freeBytes: opts.freeBytes } : {}),
  });
  const jobs = createAppJobs(app, clock());
  const on = channelsOf(config);
  const senders: Senders = {};

  const telegram = on.telegram
    ? createTelegramChannel({
        token: config.TELEGRAM_BOT_TOKEN as string,
        apiRoot: config.TELEGRAM_API_ROOT,
        webhook: config.TELEGRAM_WEBHOOK_URL
          ? { url: config.TELEGRAM_WEBHOOK_URL, secret: config.TELEGRAM_WEBHOOK_SECRET as string }
          : null,
        photoFile: (ref) => readStoredPhoto(app.db, config.UPLOAD_DIR ?? join(dirname(config.DATABASE_PATH), 'uploads'), ref),
        delivery: app.delivery,
        outbox: app.outbox,
        people: app.people,
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
        outbox: app.outbox,
        choices: app.choices,
        // Issue 12: choices as template cards; images downloaded into the store on receipt.
        cards: createWeComCardStore(app.db),
        photos: {
          has: (ref) => hasPhotoFile(app.db, ref),
          save: (ref, bytes, now) => storePhotoFile(app.db, uploadDirOf(config), ref, bytes, config.UPLOAD_MAX_MB * 1048576, now),
          read: (ref) => readStoredPhoto(app.db, uploadDirOf(config), ref),
        },
        maxPhotoBytes: config.UPLOAD_MAX_MB * 1048576,
        lang: (userId) => app.chats.lang('wecom', userId),
        maxSkewSeconds: config.WECOM_MAX_CLOCK_SKEW_SECONDS,
        clock,
        log: (l) => log(l, 'warn'),
      })
    : null;
  if (wecom) senders.wecom = wecom.sender;
  if (on.wecomRobot) senders['wecom-robot'] = robotSender(createRobot(config.WECOM_API_BASE), config.WECOM_WEBHOOK_KEY);

  const web = createWebChannel({
    delivery: app.delivery,
    outbox: app.outbox,
    dialogs: app.dialogs,
    sessions: app.sessions,
    limits: app.limits,
    uploads: app.uploads,
    uploadDir: config.UPLOAD_DIR ?? join(dirname(config.DATABASE_PATH), 'uploads'),
    chats: app.chats,
    casePhoto: (viewer, ticket, ref) => {
      const id = app.people.identity('web', viewer.userId);
      const c = app.service.visibleTo(ticket, { channel: 'web', userId: viewer.userId, role: id.role, unit: id.unit });
      if (!c || id.role === 'citizen' || !c.photos.includes(ref)) return null;
      const uploads = config.UPLOAD_DIR ?? join(dirname(config.DATABASE_PATH), 'uploads');
      return readStoredPhoto(app.db, uploads, ref);
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
  const reload = (now: Date) => {
    app.reloadKnowledge(now);
    loadedManifest = mtimeOf();
  };
  const onManifest = (cur: { mtimeMs: number }) => {
    if (!cur.mtimeMs || cur.mtimeMs === loadedManifest) return;
    try {
      reload(clock());
      log(`知识库已重新加载 / knowledge reloaded: ${app.knowledge.kb.documents.length} documents`);
    } catch (e) {
      log(`knowledge reload failed: ${e instanceof Error ? e.message : String(e)}`, 'error');
    }
  };
  watchFile(manifestPath, { interval: 5000, persistent: false }, onManifest);
  const ledger = createLedger(app.db, app.categories);
  const uploadDir = config.UPLOAD_DIR ?? join(dirname(config.DATABASE_PATH), 'uploads');
  // Photos of cases reported on Telegram: fetched from the Bot API on the server the first time the
  // desk shows them (the download address has the bot token and stays here), checked to be an
  // image and kept in the photo store; later views read the kept file.
  const fetching = new Map<string, Promise<{ bytes: Buffer; mime: string } | null>>();
  const telegramRef = (channel: string, ref: string) => channel === 'telegram' && ref.length <= 512 && !/^[a-z-]+:/.test(ref);
  const deskPhotos = {
    shown: (c: { channel: string }, ref: string) => hasStoredPhoto(app.db, ref) || (telegram !== null && telegramRef(c.channel, ref)),
    async get(c: { channel: string }, ref: string) {
      const kept = readStoredPhoto(app.db, uploadDir, ref);
      if (kept || !telegram || !telegramRef(c.channel, ref)) return kept;
      const had = fetching.get(ref);
      if (had) return had;
      const job = (async () => {
        const bytes = await telegram.downloadFile(ref, config.UPLOAD_MAX_MB * 1048576);
        if (!bytes) return null;
        const photo = keepDownloadedPhoto(app.db, uploadDir, ref, bytes, clock());
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
    cases: app.cases,
    categories: app.categories,
    towns: app.knowledge.lexicon.towns,
    questions: app.questions,
    answerer: app.answerer,
    ledger,
    limits: app.limits,
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
    cases: app.cases,
    service: app.service,
    categories: app.categories,
    towns: app.knowledge.lexicon.towns,
    area: app.area,
    apiKeys: app.apiKeys,
    limits: app.limits,
    clock,
    onFiled: (c, now) => {
      ledger.linkOf(c, now);
    },
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
    health: () => {
      const store = health.report();
      let pendingOutbox: number | null = null;
      try {
        pendingOutbox = app.db.prepare("SELECT count(*) FROM outbox WHERE status = 'pending'").pluck().get() as number;
      } catch {}
      return {
        ok: store.ok,
        status: store.status,
        store: {
          status: store.ok ? 'ok' : 'degraded',
          problems: store.problems,
          schema: store.schema,
          freeMB: store.freeMB,
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
          app.db,
          jobs.schedule({ reminders: config.REMINDER_CRON, digest: config.DIGEST_CRON, dispatch: config.DISPATCH_CRON }, senders),
          (l) => log(l, 'error'),
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
      await scheduler?.stop();
      await telegram?.stop();
      await wecom?.idle();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      app.close();
    },
  };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    // `.env` is read when present; the environment wins; both go through the same validation.
    config = parseConfig(withDotEnv(process.env, join(process.cwd(), '.env')));
  } catch (e) {
    process.stderr.write(`整改助手无法启动 / cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
  const log = createLogger(config.LOG_LEVEL);
  const running = await startAssistant(config, { log });
  const on = channelsOf(config);
  log(`整改助手已启动：本地聊天 ${running.url}/ （Telegram ${on.telegram ? '开' : '关'}，企业微信 ${on.wecomCallback ? '开' : '关'}）`);
  process.stdout.write(`\n整改助手已启动。在浏览器打开 ${running.url}/ 即可提问或举报；终端聊天：npm run chat\n按 Ctrl+C 停止。\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`收到 ${signal}，正在停止…`);
    await running.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e) => {
    process.stderr.write(`整改助手出错退出 / fatal: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
