import { type MiddlewareConsumer, Module, type NestModule, RequestMethod, type Type } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import {
  DatabaseModule,
  DatabaseReadiness,
  StorageReadiness,
  VellumCommonModule,
  type VellumCommonOptions,
} from '@vellum/common';
import { AmqpReadiness, MessagingModule } from '@vellum/messaging';
import { AssetPresenter } from './assets/asset.presenter';
import { AssetsBulkController } from './assets/assets-bulk.controller';
import { AssetsBulkService } from './assets/assets-bulk.service';
import { AssetsController } from './assets/assets.controller';
import { AssetsRepository } from './assets/assets.repository';
import { AssetsService } from './assets/assets.service';
import { AvPresetsController } from './av-presets/av-presets.controller';
import { AccessServicesController } from './access-services/access-services.controller';
import { AccessServicesRepository } from './access-services/access-services.repository';
import { AccessServicesService } from './access-services/access-services.service';
import { CustomHeadersController } from './custom-headers/custom-headers.controller';
import { CustomHeadersRepository } from './custom-headers/custom-headers.repository';
import { CustomHeadersService } from './custom-headers/custom-headers.service';
import { DefaultDeliveryChannelsController } from './default-delivery-channels/default-delivery-channels.controller';
import { DefaultDeliveryChannelsRepository } from './default-delivery-channels/default-delivery-channels.repository';
import { DefaultDeliveryChannelsService } from './default-delivery-channels/default-delivery-channels.service';
import { ChannelRulesRepository } from './delivery-channel-policies/channel-rules.repository';
import { DeliveryChannelPoliciesController } from './delivery-channel-policies/delivery-channel-policies.controller';
import { DeliveryChannelPoliciesRepository } from './delivery-channel-policies/delivery-channel-policies.repository';
import { DeliveryChannelPoliciesService } from './delivery-channel-policies/delivery-channel-policies.service';
import { IngestEventsController } from './assets/ingest-events.controller';
import { IngestWaiter } from './assets/ingest-waiter.service';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKeyService } from './auth/api-key.service';
import { ApiKeysRepository } from './auth/api-keys.repository';
import { CustomerDirectory } from './auth/customer-directory.service';
import { KeyEventsController } from './auth/key-events.controller';
import { KeysController } from './auth/keys.controller';
import { KeysService } from './auth/keys.service';
import { RevocationFeed } from './auth/revocation-feed';
import { SetupController } from './auth/setup.controller';
import { SecretBox } from '@vellum/secrets';
import { GATEWAY_ENV, SECRET_BOX, type GatewayEnv } from './config/gateway-env';
import { CustomersController } from './customers/customers.controller';
import { CustomersRepository } from './customers/customers.repository';
import { CustomersService, SERVICE_NAME } from './customers/customers.service';
import { assertBodyContracts, BodyContractInterceptor } from './http/body-contract';
import { Links, publicBaseMiddleware } from './http/links.service';
import { TransientDbErrorInterceptor } from './http/transient-db.interceptor';
import { NamedQueriesController } from './named-queries/named-queries.controller';
import { RoleProvidersController } from './role-providers/role-providers.controller';
import { RoleProvidersRepository } from './role-providers/role-providers.repository';
import { RoleProvidersService } from './role-providers/role-providers.service';
import { RoleRefs } from './roles/role-refs.service';
import { RolesController } from './roles/roles.controller';
import { RolesRepository } from './roles/roles.repository';
import { RolesService } from './roles/roles.service';
import { UsersController } from './users/users.controller';
import { UsersRepository } from './users/users.repository';
import { UsersService } from './users/users.service';
import { NamedQueriesRepository } from './named-queries/named-queries.repository';
import { NamedQueriesService } from './named-queries/named-queries.service';
import { OriginStrategiesController } from './origin-strategies/origin-strategies.controller';
import { OriginStrategiesRepository } from './origin-strategies/origin-strategies.repository';
import { OriginStrategiesService } from './origin-strategies/origin-strategies.service';
import { OriginStrategyTypesController } from './origin-strategies/origin-strategy-types.controller';
import { BatchPresenter } from './queue/batch.presenter';
import { BatchesRepository } from './queue/batches.repository';
import { BatchesService } from './queue/batches.service';
import { PlatformQueueController, QueueController } from './queue/queue.controller';
import { QueueService } from './queue/queue.service';
import { SpacesController } from './spaces/spaces.controller';
import { SpacesRepository } from './spaces/spaces.repository';
import { SpacesService } from './spaces/spaces.service';
import { QuotaService } from './storage/quota.service';
import { StoragePoliciesController } from './storage/storage-policies.controller';
import { StoragePoliciesRepository } from './storage/storage-policies.repository';
import { StorageController } from './storage/storage.controller';
import { StoragePresenter } from './storage/storage.presenter';
import { StorageRepository } from './storage/storage.repository';
import { StorageService } from './storage/storage.service';
import { UploadService } from './assets/upload/upload.service';
import { QueueUploadService } from './queue/queue-upload.service';
import { uploadStoreProviders } from './assets/upload/upload-store';

/**
 * Builds the api-gateway root module for a validated environment (SPEC.md §3): Postgres (PRISMA), the bus
 * (MessagingModule with the outbox relay), VellumCommonModule (logs, correlation, health, metrics) and the
 * management API controllers. `opts.logDestination` (tests) receives the JSON log lines instead of stdout.
 */
export function createAppModule(
  env: GatewayEnv,
  opts: { logDestination?: VellumCommonOptions['logDestination'] } = {},
): Type {
  const controllers = [
    SetupController,
    CustomersController,
    KeysController,
    SpacesController,
    AssetsController,
    AssetsBulkController,
    QueueController,
    PlatformQueueController,
    IngestEventsController,
    NamedQueriesController,
    OriginStrategiesController,
    OriginStrategyTypesController,
    KeyEventsController,
    StorageController,
    StoragePoliciesController,
    AvPresetsController,
    DeliveryChannelPoliciesController,
    DefaultDeliveryChannelsController,
    CustomHeadersController,
    RolesController,
    AccessServicesController,
    RoleProvidersController,
    UsersController,
  ];
  // Every write route declares its body (unknown fields → 400 on every route, SPEC.md §3.1).
  assertBodyContracts(controllers);
  @Module({
    imports: [
      DatabaseModule.forRoot(env.DATABASE_URL),
      VellumCommonModule.forRoot({
        serviceName: SERVICE_NAME,
        readiness: [DatabaseReadiness, AmqpReadiness, StorageReadiness],
        logLevel: env.LOG_LEVEL,
        logPretty: env.LOG_PRETTY,
        logDestination: opts.logDestination,
      }),
      MessagingModule.forRoot({
        serviceName: SERVICE_NAME,
        amqpUrl: env.AMQP_URL,
        exchange: env.AMQP_EXCHANGE,
        outbox: true,
      }),
    ],
    controllers,
    providers: [
      { provide: GATEWAY_ENV, useValue: env },
      {
        provide: SECRET_BOX,
        useValue: SecretBox.fromConfig({
          key: env.VELLUM_SECRETS_KEY,
          previousKeys: env.VELLUM_SECRETS_PREVIOUS_KEYS,
          nodeEnv: env.NODE_ENV,
        }),
      },
      { provide: APP_INTERCEPTOR, useClass: TransientDbErrorInterceptor },
      { provide: APP_INTERCEPTOR, useClass: BodyContractInterceptor },
      Links,
      RevocationFeed,
      ApiKeysRepository,
      ApiKeyService,
      KeysService,
      CustomersRepository,
      CustomerDirectory,
      ApiKeyGuard,
      CustomersService,
      SpacesRepository,
      SpacesService,
      DeliveryChannelPoliciesRepository,
      DeliveryChannelPoliciesService,
      DefaultDeliveryChannelsRepository,
      DefaultDeliveryChannelsService,
      ChannelRulesRepository,
      CustomHeadersRepository,
      CustomHeadersService,
      RolesRepository,
      RolesService,
      RoleRefs,
      AccessServicesRepository,
      AccessServicesService,
      RoleProvidersRepository,
      RoleProvidersService,
      UsersRepository,
      UsersService,
      AssetsRepository,
      AssetPresenter,
      IngestWaiter,
      AssetsService,
      AssetsBulkService,
      QueueService,
      NamedQueriesRepository,
      NamedQueriesService,
      OriginStrategiesRepository,
      OriginStrategiesService,
      BatchesRepository,
      BatchesService,
      BatchPresenter,
      StorageRepository,
      StoragePoliciesRepository,
      StoragePresenter,
      StorageService,
      QuotaService,
      ...uploadStoreProviders(env),
      StorageReadiness,
      UploadService,
      QueueUploadService,
    ],
  })
  class AppModule implements NestModule {
    configure(consumer: MiddlewareConsumer): void {
      consumer.apply(publicBaseMiddleware(env)).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
    }
  }
  return AppModule;
}
