import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  INestApplicationContext,
  Module,
  ModuleMetadata,
  OnModuleDestroy,
  OnModuleInit,
  Provider,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { MetricsService } from '@vellum/common';
import { AmqpConnectionManager } from './connection-manager';
import {
  MessageMetricsSink,
  PromMessageMetrics,
  registerMetricsSink,
  unregisterMetricsSink,
} from './metrics';
import { MESSAGING_OPTIONS, MessagingOptions, TransportOptions } from './options';
import { OUTBOX_OPTIONS, OutboxRelay, OutboxRelayOptions } from './outbox';
import { MessagePublisher } from './publisher';
import { AmqpReadiness } from './readiness';
import { VellumRmqTransport } from './transport';

/** Options of {@link MessagingModule.forRoot}. */
export interface MessagingModuleOptions extends MessagingOptions {
  /**
   * Also provide {@link OutboxRelay} (started on bootstrap). Needs a PrismaClient under `PRISMA` that this global
   * module can see: a global module, or a module passed in `imports`. Default false.
   */
  outbox?: boolean | OutboxRelayOptions;
  /** Modules whose exports the messaging providers need (e.g. the app's module that provides `PRISMA`). */
  imports?: ModuleMetadata['imports'];
}

/** Finds the app's `MetricsService` (optional) and registers consumer metrics for the transports of this service. */
@Injectable()
export class MessagingMetricsBinder implements OnModuleInit, OnModuleDestroy {
  private sink?: MessageMetricsSink;

  constructor(
    private readonly moduleRef: ModuleRef,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
  ) {}

  onModuleInit(): void {
    const metrics = findMetricsService(this.moduleRef);
    if (!metrics) return;
    this.sink = new PromMessageMetrics(metrics.registry);
    registerMetricsSink(this.options.serviceName, this.sink);
  }

  onModuleDestroy(): void {
    if (this.sink) unregisterMetricsSink(this.options.serviceName, this.sink);
  }
}

function findMetricsService(ref: Pick<INestApplicationContext, 'get'>): MetricsService | undefined {
  try {
    return ref.get(MetricsService, { strict: false });
  } catch {
    return undefined;
  }
}

/**
 * Nest module of the Vellum bus (global once imported): `AmqpConnectionManager`, `MessagePublisher`,
 * `AmqpReadiness`, optionally `OutboxRelay`. Consumers are not part of it: they run in a
 * {@link VellumRmqTransport} built with {@link createTransport} and connected as a (hybrid) microservice.
 */
@Global()
@Module({})
export class MessagingModule {
  /**
   * @param options `serviceName`, `amqpUrl` (env `AMQP_URL`), `exchange` (env `AMQP_EXCHANGE`, default `vellum`),
   *   `outbox` (provide `OutboxRelay`), `imports`.
   */
  static forRoot(options: MessagingModuleOptions): DynamicModule {
    const { outbox, imports, ...messaging } = options;
    const providers: Provider[] = [
      { provide: MESSAGING_OPTIONS, useValue: messaging },
      AmqpConnectionManager,
      MessagePublisher,
      AmqpReadiness,
      MessagingMetricsBinder,
    ];
    const exported: Array<Provider | symbol> = [
      MESSAGING_OPTIONS,
      AmqpConnectionManager,
      MessagePublisher,
      AmqpReadiness,
    ];
    if (outbox) {
      providers.push(
        { provide: OUTBOX_OPTIONS, useValue: typeof outbox === 'object' ? outbox : {} },
        OutboxRelay,
      );
      exported.push(OUTBOX_OPTIONS, OutboxRelay);
    }
    return {
      module: MessagingModule,
      global: true,
      imports: imports ?? [],
      providers,
      exports: exported as DynamicModule['exports'],
    };
  }

  /** Same as the function {@link createTransport}. */
  static createTransport(
    optionsOrApp: TransportOptions | INestApplicationContext,
    extra: Partial<TransportOptions> = {},
  ): VellumRmqTransport {
    return createTransport(optionsOrApp, extra);
  }
}

/**
 * Builds the consumer transport. Either from explicit options (usable before the app exists, e.g. for
 * `bootstrapService(AppModule, { transport: createTransport({ serviceName, amqpUrl, retryDelaysMs }) })`; metrics
 * are then picked up from `MessagingModule` of the same service), or from a created app: options come from its
 * `MessagingModule.forRoot` (plus `extra`) and metrics from its `MetricsService`.
 */
export function createTransport(
  optionsOrApp: TransportOptions | INestApplicationContext,
  extra: Partial<TransportOptions> = {},
): VellumRmqTransport {
  if (isAppContext(optionsOrApp)) {
    const base = optionsOrApp.get<MessagingOptions>(MESSAGING_OPTIONS, { strict: false });
    const metrics = findMetricsService(optionsOrApp);
    return new VellumRmqTransport(
      { ...base, ...extra },
      { metrics: metrics ? new PromMessageMetrics(metrics.registry) : undefined },
    );
  }
  return new VellumRmqTransport({ ...optionsOrApp, ...extra });
}

function isAppContext(x: unknown): x is INestApplicationContext {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as INestApplicationContext).get === 'function' &&
    typeof (x as INestApplicationContext).select === 'function'
  );
}
