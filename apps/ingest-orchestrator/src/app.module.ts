import {
  type DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SecretBox } from '@vellum/secrets';
import { DatabaseModule, DatabaseReadiness, StorageReadiness, VellumCommonModule } from '@vellum/common';
import { AmqpReadiness, MessagingModule } from '@vellum/messaging';
import {
  bucketsFromEnv,
  OBJECT_STORE,
  objectStoreFromEnv,
  storageConfigFromEnv,
  type ObjectStore,
  type VellumBuckets,
} from '@vellum/storage';
import { AssetDeletedHandler } from './asset-deleted.handler';
import { AssetIngestRequestedHandler } from './asset-ingest-requested.handler';
import { AssetObjectsService } from './asset-objects.service';
import { DerivativesResultHandler } from './derivatives-result.handler';
import { TranscodeProgressHandler } from './transcode-progress.handler';
import { FinaliserService } from './finaliser.service';
import { IngestMetrics } from './ingest-metrics';
import type { OrchestratorEnv } from './orchestrator.env';
import { ftpOriginFetcherFromEnv } from './origins/ftp-origin.fetcher';
import { HttpOriginFetcher } from './origins/http-origin.fetcher';
import { OriginAccessResolver } from './origins/origin-access.resolver';
import type { OriginFetcher } from './origins/origin-fetcher';
import { OriginStager } from './origins/origin-stager';
import { S3OriginFetcher } from './origins/s3-origin.fetcher';
import { sftpOriginFetcherFromEnv } from './origins/sftp-origin.fetcher';
import { parseAllowList, SsrfGuard, type ResolvedAddress } from './origins/ssrf-guard';
import { StagingScheduler } from './staging-scheduler';
import { StuckIngestSweeper } from './stuck-ingest.sweeper';
import { TableStatisticsService } from './table-statistics.service';
import {
  BatchWindow,
  orchestratorTransport,
  UNPARK_TARGET,
  type UnparkTarget,
} from './batch-window/batch-window';
import { DeadLetterHandler } from './dead-letter.handler';
import {
  BUCKETS,
  CLOCK,
  type Clock,
  ORCHESTRATOR_ENV,
  ORIGIN_STAGER,
  SECRET_BOX,
  SERVICE_NAME,
  STAGING_SCHEDULER,
  systemClock,
} from './tokens';

/** Options of {@link AppModule.forRoot}: the validated env plus test seams. */
export interface AppModuleOptions {
  env: OrchestratorEnv;
  /** Object store; default from the storage env (`S3_ENDPOINT` → S3, else fs). */
  store?: ObjectStore;
  /** Extra/replacement origin fetchers (by scheme); the http(s), sftp and ftp(s) fetchers are always built. */
  fetchers?: OriginFetcher[];
  /** DNS lookup used by the SSRF guard (tests); default `dns.lookup(all)`. */
  lookup?: (hostname: string) => Promise<ResolvedAddress[]>;
  clock?: Clock;
  /** Where parked batch members go back (default: this process's orchestrator transport). */
  unparkTarget?: UnparkTarget;
}

/** The `sftp://` and `ftp://`/`ftps://` fetchers (SPEC.md §4.2), behind the same SSRF guard as http(s). */
function fileFetchers(env: OrchestratorEnv, opts: AppModuleOptions): OriginFetcher[] {
  const guard = new SsrfGuard(parseAllowList(env.VELLUM_ORIGIN_ALLOWLIST), opts.lookup);
  return [sftpOriginFetcherFromEnv(guard, env), ftpOriginFetcherFromEnv(guard, env)];
}

/** Closes what the core module opened, after in-flight messages finished (Nest's shutdown order). */
@Injectable()
class CoreLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('IngestOrchestrator');
  constructor(
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(BUCKETS) private readonly buckets: VellumBuckets,
    @Inject('HTTP_ORIGIN_FETCHER') private readonly http: HttpOriginFetcher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const bucket of [this.buckets.origins, this.buckets.derivatives, this.buckets.thumbnails]) {
      try {
        await this.store.ensureBucket(bucket);
      } catch (err) {
        this.log.warn({
          err,
          bucket,
          msg: 'could not ensure bucket (will fail per message until the store answers)',
        });
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.http.close().catch(() => undefined);
  }
}

@Global()
@Module({})
class CoreModule {
  static forRoot(opts: AppModuleOptions): DynamicModule {
    const env = opts.env;
    return {
      module: CoreModule,
      imports: [DatabaseModule.forRoot(env.DATABASE_URL)],
      providers: [
        { provide: ORCHESTRATOR_ENV, useValue: env },
        { provide: CLOCK, useValue: opts.clock ?? systemClock },
        { provide: OBJECT_STORE, useFactory: () => opts.store ?? objectStoreFromEnv(env) },
        { provide: BUCKETS, useFactory: () => bucketsFromEnv(env) },
        {
          provide: 'HTTP_ORIGIN_FETCHER',
          useFactory: () =>
            new HttpOriginFetcher(new SsrfGuard(parseAllowList(env.VELLUM_ORIGIN_ALLOWLIST), opts.lookup), {
              timeoutMs: env.VELLUM_ORIGIN_TIMEOUT_MS,
            }),
        },
        {
          provide: ORIGIN_STAGER,
          inject: [OBJECT_STORE, BUCKETS, 'HTTP_ORIGIN_FETCHER', IngestMetrics],
          useFactory: (
            store: ObjectStore,
            buckets: VellumBuckets,
            http: HttpOriginFetcher,
            metrics: IngestMetrics,
          ) => {
            // s3:// (and S3 https URLs under s3-ambient) through the platform's own S3 store (SPEC.md §4.2).
            const cfg = storageConfigFromEnv(env);
            const s3 = new S3OriginFetcher({
              config: cfg.driver === 's3' ? cfg : null,
              ownBuckets: Object.values(buckets),
              timeoutMs: env.VELLUM_ORIGIN_TIMEOUT_MS,
            });
            return new OriginStager([http, s3, ...fileFetchers(env, opts), ...(opts.fetchers ?? [])], store, {
              maxBytes: env.VELLUM_MAX_ORIGIN_BYTES,
              onBytes: (n) => metrics.originBytes.inc(n),
              deadlineMs: env.VELLUM_ORIGIN_DEADLINE_MS,
              minBytesPerSecond: env.VELLUM_ORIGIN_MIN_BYTES_PER_SECOND,
              rateWindowMs: env.VELLUM_ORIGIN_RATE_WINDOW_MS,
            });
          },
        },
        {
          provide: SECRET_BOX,
          useFactory: () =>
            SecretBox.fromConfig({
              key: env.VELLUM_SECRETS_KEY,
              previousKeys: env.VELLUM_SECRETS_PREVIOUS_KEYS,
              nodeEnv: env.NODE_ENV,
            }),
        },
        {
          provide: STAGING_SCHEDULER,
          useFactory: () =>
            new StagingScheduler({
              batch: { slots: env.VELLUM_INGEST_PREFETCH, perCustomer: env.VELLUM_INGEST_CUSTOMER_SLOTS },
              priority: {
                slots: env.VELLUM_INGEST_PRIORITY_SLOTS,
                perCustomer: Math.ceil(env.VELLUM_INGEST_PRIORITY_SLOTS / 2),
              },
            }),
        },
        IngestMetrics,
        OriginAccessResolver,
        CoreLifecycle,
      ],
      exports: [
        ORCHESTRATOR_ENV,
        CLOCK,
        OBJECT_STORE,
        BUCKETS,
        ORIGIN_STAGER,
        STAGING_SCHEDULER,
        SECRET_BOX,
        IngestMetrics,
        OriginAccessResolver,
      ],
    };
  }
}

/**
 * The ingest-orchestrator (SPEC.md §2, §4): a worker whose only HTTP routes are `/health/live`,
 * `/health/ready` (Postgres + RabbitMQ + object store) and `/metrics`. Consumers run in the
 * `VellumRmqTransport` connected by `main.ts` (see README.md for the state machine).
 */
@Module({})
export class AppModule {
  static forRoot(opts: AppModuleOptions): DynamicModule {
    const env = opts.env;
    return {
      module: AppModule,
      imports: [
        VellumCommonModule.forRoot({
          serviceName: SERVICE_NAME,
          logLevel: env.LOG_LEVEL,
          logPretty: env.LOG_PRETTY,
          readiness: [DatabaseReadiness, AmqpReadiness, StorageReadiness],
        }),
        CoreModule.forRoot(opts),
        MessagingModule.forRoot({
          serviceName: SERVICE_NAME,
          amqpUrl: env.AMQP_URL,
          exchange: env.AMQP_EXCHANGE,
          outbox: true,
        }),
      ],
      controllers: [
        AssetIngestRequestedHandler,
        DerivativesResultHandler,
        TranscodeProgressHandler,
        DeadLetterHandler,
        AssetDeletedHandler,
      ],
      providers: [
        { provide: UNPARK_TARGET, useValue: opts.unparkTarget ?? orchestratorTransport },
        BatchWindow,
        FinaliserService,
        AssetObjectsService,
        StuckIngestSweeper,
        TableStatisticsService,
        StorageReadiness,
      ],
    };
  }
}
