import { AsyncLocalStorage } from 'node:async_hooks';
import { Inject, Injectable } from '@nestjs/common';
import { trustedProxies } from '@vellum/common';
import type { NextFunction, Request, Response } from 'express';
import { GATEWAY_ENV, type GatewayEnv } from '../config/gateway-env';
import { type PublicBases, publicBases, type PublicUrlSettings, seg } from './public-url';

const requestBases = new AsyncLocalStorage<PublicBases>();

/** The URL settings of `env` (`VELLUM_API_URL`, `VELLUM_DELIVERY_URL`, `VELLUM_DELIVERY_PORT`, `VELLUM_TRUSTED_PROXIES`). */
export function publicUrlSettings(env: GatewayEnv): PublicUrlSettings {
  return {
    apiUrl: env.VELLUM_API_URL,
    deliveryUrl: env.VELLUM_DELIVERY_URL,
    deliveryPort: env.VELLUM_DELIVERY_PORT,
    trust: trustedProxies(env.VELLUM_TRUSTED_PROXIES),
  };
}

/**
 * Express middleware factory: computes the public bases of each request ({@link publicBases}: the API's and
 * iiif-delivery's, SPEC.md §5) and runs the rest of the request inside them, so {@link Links} builds matching
 * `@id`s and delivery URLs.
 */
export function publicBaseMiddleware(env: GatewayEnv) {
  const settings = publicUrlSettings(env);
  return (req: Request, _res: Response, next: NextFunction): void => {
    requestBases.run(publicBases(req, settings), next);
  };
}

/** Builds the absolute URLs of API resources (SPEC.md §3.1) and delivery services (§3.4, §5). */
@Injectable()
export class Links {
  constructor(@Inject(GATEWAY_ENV) private readonly env: GatewayEnv) {}

  /** The public bases of the current request; outside one, the configured URLs or `localhost` with the ports. */
  private bases(): PublicBases {
    return (
      requestBases.getStore() ?? {
        api: (this.env.VELLUM_API_URL ?? `http://localhost:${this.env.PORT}`).replace(/\/+$/, ''),
        delivery: (
          this.env.VELLUM_DELIVERY_URL ?? `http://localhost:${this.env.VELLUM_DELIVERY_PORT}`
        ).replace(/\/+$/, ''),
      }
    );
  }

  /** The public base of the current request, without trailing slash. */
  base(): string {
    return this.bases().api;
  }

  /** The absolute URL of a request path (`req.originalUrl`). */
  request(originalUrl: string): string {
    return this.base() + originalUrl;
  }

  entryPoint(): string {
    return `${this.base()}/`;
  }
  customers(): string {
    return `${this.base()}/customers`;
  }
  customer(c: number): string {
    return `${this.base()}/customers/${c}`;
  }
  keys(c: number): string {
    return `${this.customer(c)}/keys`;
  }
  key(c: number, key: string): string {
    return `${this.keys(c)}/${seg(key)}`;
  }
  spaces(c: number): string {
    return `${this.customer(c)}/spaces`;
  }
  space(c: number, s: number): string {
    return `${this.spaces(c)}/${s}`;
  }
  images(c: number, s: number): string {
    return `${this.space(c, s)}/images`;
  }
  image(c: number, s: number, id: string): string {
    return `${this.images(c, s)}/${seg(id)}`;
  }
  /** `C/spaces/{s}/images/{id}/{sub}`: an asset's sub-resources (SPEC.md §3.4 links). */
  imageMetadata(c: number, s: number, id: string): string {
    return `${this.image(c, s, id)}/metadata`;
  }
  imageAdjuncts(c: number, s: number, id: string): string {
    return `${this.image(c, s, id)}/adjuncts`;
  }
  imageReingest(c: number, s: number, id: string): string {
    return `${this.image(c, s, id)}/reingest`;
  }
  /** `C/allImages` and `C/deleteImages` (SPEC.md §3.3 "Assets in bulk"). */
  allImages(c: number): string {
    return `${this.customer(c)}/allImages`;
  }
  deleteImages(c: number): string {
    return `${this.customer(c)}/deleteImages`;
  }
  /** `C/storage` (SPEC.md §3.3 "Storage"). */
  storage(c: number): string {
    return `${this.customer(c)}/storage`;
  }
  /** `C/storagePolicy`: where an admin assigns the customer's storage policy. */
  customerStoragePolicy(c: number): string {
    return `${this.customer(c)}/storagePolicy`;
  }
  spaceStorage(c: number, s: number): string {
    return `${this.space(c, s)}/storage`;
  }
  imageStorage(c: number, s: number, id: string): string {
    return `${this.image(c, s, id)}/storage`;
  }
  storagePolicies(): string {
    return `${this.base()}/storagePolicies`;
  }
  storagePolicy(id: string): string {
    return `${this.storagePolicies()}/${seg(id)}`;
  }
  queue(c: number): string {
    return `${this.customer(c)}/queue`;
  }
  batches(c: number): string {
    return `${this.queue(c)}/batches`;
  }
  batch(c: number, b: number): string {
    return `${this.batches(c)}/${b}`;
  }
  /** `C/deliveryChannelPolicies`: the collection of one sub-collection per channel (SPEC.md §3.3). */
  deliveryChannelPolicies(c: number): string {
    return `${this.customer(c)}/deliveryChannelPolicies`;
  }
  deliveryChannelPolicyChannel(c: number, channel: string): string {
    return `${this.deliveryChannelPolicies(c)}/${seg(channel)}`;
  }
  deliveryChannelPolicy(c: number, channel: string, name: string): string {
    return `${this.deliveryChannelPolicyChannel(c, channel)}/${seg(name)}`;
  }
  /** `C/defaultDeliveryChannels` (space 0: the customer's rules) or `C/spaces/{s}/defaultDeliveryChannels`. */
  defaultDeliveryChannels(c: number, s = 0): string {
    return `${s === 0 ? this.customer(c) : this.space(c, s)}/defaultDeliveryChannels`;
  }
  defaultDeliveryChannel(c: number, s: number, id: string): string {
    return `${this.defaultDeliveryChannels(c, s)}/${seg(id)}`;
  }
  customHeaders(c: number): string {
    return `${this.customer(c)}/customHeaders`;
  }
  customHeader(c: number, id: string): string {
    return `${this.customHeaders(c)}/${seg(id)}`;
  }
  /** `GET /avPresets`: the transcoder's presets (SPEC.md §4.4). */
  avPresets(): string {
    return `${this.base()}/avPresets`;
  }
  avPreset(name: string): string {
    return `${this.avPresets()}/${seg(name)}`;
  }
  namedQueries(c: number): string {
    return `${this.customer(c)}/namedQueries`;
  }
  namedQuery(c: number, id: string): string {
    return `${this.namedQueries(c)}/${seg(id)}`;
  }
  originStrategies(c: number): string {
    return `${this.customer(c)}/originStrategies`;
  }
  originStrategy(c: number, id: string): string {
    return `${this.originStrategies(c)}/${seg(id)}`;
  }
  /** The public list of origin strategy types (`GET /originStrategies`, SPEC.md §3.2). */
  originStrategyTypes(): string {
    return `${this.base()}/originStrategies`;
  }
  originStrategyType(name: string): string {
    return `${this.originStrategyTypes()}/${seg(name)}`;
  }
  /** `C/roles` (issue 10: access control). */
  roles(c: number): string {
    return `${this.customer(c)}/roles`;
  }
  /** `C/roles/{name}`: how the API renders a role (assets, spaces, custom headers, users store the name). */
  role(c: number, name: string): string {
    return `${this.roles(c)}/${seg(name)}`;
  }
  accessServices(c: number): string {
    return `${this.customer(c)}/accessServices`;
  }
  accessService(c: number, name: string): string {
    return `${this.accessServices(c)}/${seg(name)}`;
  }
  roleProviders(c: number): string {
    return `${this.customer(c)}/roleProviders`;
  }
  roleProvider(c: number, name: string): string {
    return `${this.roleProviders(c)}/${seg(name)}`;
  }
  /** `C/users`: the accounts of the built-in role provider. */
  users(c: number): string {
    return `${this.customer(c)}/users`;
  }
  user(c: number, id: string): string {
    return `${this.users(c)}/${seg(id)}`;
  }
  /**
   * The public base of auth-service (IIIF Auth 2.0 services): `VELLUM_AUTH_URL` when set, else the delivery base
   * of the request (in production an Ingress routes `/auth/` of the public host to auth-service).
   */
  authBase(): string {
    return this.env.VELLUM_AUTH_URL ? this.env.VELLUM_AUTH_URL.replace(/\/+$/, '') : this.bases().delivery;
  }
  /** `{auth}/auth/v2/access/{c}/{name}`: the public URL of an Auth 2.0 access service (issue 10 contract). */
  authAccessService(c: number, name: string): string {
    return `${this.authBase()}/auth/v2/access/${c}/${seg(name)}`;
  }
  /** `C/queue/priority`. */
  priorityQueue(c: number): string {
    return `${this.queue(c)}/priority`;
  }
  /** `C/queue/active`: unfinished batches. */
  activeBatches(c: number): string {
    return `${this.queue(c)}/active`;
  }
  /** `C/queue/recent`: finished batches, latest first. */
  recentBatches(c: number): string {
    return `${this.queue(c)}/recent`;
  }
  /** `C/queue/batches/{b}/images`: the batch's current members. */
  batchImages(c: number, b: number): string {
    return `${this.batch(c, b)}/images`;
  }
  /** `C/queue/batches/{b}/assets`: everyone ever submitted in the batch. */
  batchAssets(c: number, b: number): string {
    return `${this.batch(c, b)}/assets`;
  }
  /** `C/queue/batches/{b}/errors`: the batch's failed members. */
  batchErrors(c: number, b: number): string {
    return `${this.batch(c, b)}/errors`;
  }
  /** `/queue`: the cross-customer queue summary (admin). */
  platformQueue(): string {
    return `${this.base()}/queue`;
  }

  /** `{delivery base}/{channel}/{c}/{s}/{id}` (or the manifest, `/iiif-manifest/...`): the delivery base of this request (see `publicBases`). */
  delivery(
    channel: 'iiif-img' | 'thumbs' | 'iiif-av' | 'file' | 'iiif-manifest',
    c: number,
    s: number,
    id: string,
  ): string {
    return `${this.bases().delivery}/${channel}/${c}/${s}/${seg(id)}`;
  }
}
