import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { DatabaseModule, DatabaseReadiness, StorageReadiness, VellumCommonModule } from '@vellum/common';
import { AmqpReadiness, MessagingModule } from '@vellum/messaging';
import { bucketsFromEnv, createObjectStore, type ObjectStore, storageConfigFromEnv } from '@vellum/storage';
import { AssetLookupService } from './asset-lookup.service';
import { AccessControlService } from './auth/access-control.service';
import { AccessViewService } from './auth/access-view.service';
import { AuthEventsHandler } from './auth/auth-events.handler';
import { CallerService } from './auth/caller.service';
import { ProbeController } from './auth/probe.controller';
import { AvController } from './av/av.controller';
import { AvDeliveryService } from './av/av-delivery.service';
import { AvMetrics } from './av/av-metrics';
import { CacheInvalidationHandler } from './cache-invalidation.handler';
import { DeliveryMetrics } from './delivery-metrics';
import { DeliveryEnv } from './env';
import { FileController } from './file/file.controller';
import { FileDeliveryService } from './file/file-delivery.service';
import { FileMetrics } from './file/file-metrics';
import { ImageApiController } from './image-api.controller';
import { ImageDeliveryService } from './image-delivery.service';
import { ManifestController } from './presentation/manifest.controller';
import { NamedQueryController } from './presentation/named-query.controller';
import { PresentationCache } from './presentation/presentation-cache.service';
import { PresentationService } from './presentation/presentation.service';
import { ProjectionController } from './projections/projection.controller';
import { ProjectionService } from './projections/projection.service';
import { PublicUrls } from './public-url.service';
import { PyramidCacheService } from './pyramid-cache.service';
import { ThumbnailStore } from './thumbnail-store.service';
import { ThumbsController } from './thumbs.controller';
import { TileRenderer } from './tile-renderer.service';
import { ViewerAssets } from './viewer/viewer-assets.service';
import { ViewerController } from './viewer/viewer.controller';
import { BUCKETS, DELIVERY_ENV, OBJECT_STORE } from './tokens';

export const SERVICE_NAME = 'iiif-delivery';

/** Overrides for tests: an existing object store instead of one built from the environment. */
export interface AppModuleOverrides {
  objectStore?: ObjectStore;
}

/**
 * Root module of iiif-delivery: the public IIIF Image API and thumbs services, the `file` and `iiif-av` channels (SPEC.md §5)
 * with their caches, the IIIF Presentation manifests and named-query projections (`presentation/`), the stored
 * named-query PDFs and ZIPs (`projections/`: `/pdf`, `/zip` and their control documents, SPEC.md §7), the deep-zoom
 * viewer page (`/viewer`), IIIF Auth 2.0 (`auth/`: the callers' credentials, the customers' access views, the
 * probe service; SPEC.md §6), readiness on Postgres + object store + RabbitMQ, and the cache-invalidation and
 * access-control event handlers (which run in the VellumRmqTransport connected by main.ts).
 */
@Module({})
export class AppModule {
  static forRoot(env: DeliveryEnv, overrides: AppModuleOverrides = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        VellumCommonModule.forRoot({
          serviceName: SERVICE_NAME,
          logLevel: env.LOG_LEVEL,
          logPretty: env.LOG_PRETTY,
          httpSuccessLogLevel: env.LOG_HTTP_SUCCESS_LEVEL,
          readiness: [DatabaseReadiness, StorageReadiness, AmqpReadiness],
        }),
        DatabaseModule.forRoot(env.DATABASE_URL),
        MessagingModule.forRoot({
          serviceName: SERVICE_NAME,
          amqpUrl: env.AMQP_URL,
          exchange: env.AMQP_EXCHANGE,
        }),
      ],
      controllers: [
        ImageApiController,
        ThumbsController,
        FileController,
        AvController,
        ProjectionController,
        ViewerController,
        ManifestController,
        NamedQueryController,
        ProbeController,
        CacheInvalidationHandler,
        AuthEventsHandler,
      ],
      providers: [
        { provide: DELIVERY_ENV, useValue: env },
        {
          provide: OBJECT_STORE,
          useFactory: () => overrides.objectStore ?? createObjectStore(storageConfigFromEnv(env)),
        },
        { provide: BUCKETS, useFactory: () => bucketsFromEnv(env) },
        StorageReadiness,
        DeliveryMetrics,
        PublicUrls,
        AssetLookupService,
        CallerService,
        AccessViewService,
        AccessControlService,
        PyramidCacheService,
        ThumbnailStore,
        TileRenderer,
        ImageDeliveryService,
        ViewerAssets,
        FileMetrics,
        FileDeliveryService,
        AvMetrics,
        AvDeliveryService,
        PresentationCache,
        PresentationService,
        ProjectionService,
      ],
    };
  }
}

/** A root module class (what `bootstrapService`/`NestFactory.create` take) wrapping {@link AppModule.forRoot}. */
export function deliveryRootModule(env: DeliveryEnv, overrides: AppModuleOverrides = {}): Type {
  @Module({ imports: [AppModule.forRoot(env, overrides)] })
  class DeliveryRootModule {}
  return DeliveryRootModule;
}
