import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  findNamedQuery,
  findNamedQueryAssets,
  isTransientDbError,
  type NamedQueryAsset,
  PRISMA,
  type PrismaClient,
  type ResolvedNamedQuery,
} from '@vellum/db';
import {
  assetPresentation,
  bindNamedQuery,
  type BoundNamedQuery,
  buildManifestV2,
  buildManifestV3,
  encodeSegment,
  type IiifVersion,
  type LanguageMap,
  type ManifestInput,
  NamedQueryError,
  parseNamedQueryArguments,
  presentableInV2,
  presentationContentType,
  type PresentationVersion,
  presentationVersionFromAccept,
} from '@vellum/iiif';
import { LRUCache } from 'lru-cache';
import { AssetLookupService } from '../asset-lookup.service';
import { AccessControlService } from '../auth/access-control.service';
import { AccessViewService } from '../auth/access-view.service';
import { accessServicesFor } from '../auth/auth-services';
import { badRequest, deliveryError, isDeliveryError, notFound } from '../delivery-errors';
import { DeliveryEnv } from '../env';
import { etagOf } from '../http-cache';
import { DELIVERY_ENV } from '../tokens';
import { type CachedDocument, PresentationCache } from './presentation-cache.service';
import { fromDeliveryAsset, fromNamedQueryAsset, newestChange } from './presentation-asset';
import { IIIF_MANIFEST, IIIF_RESOURCE, type ManifestPath, type NamedQueryPath } from './presentation-path';

/** The Presentation version of unversioned manifest URLs (SPEC.md §5: 3.0 default). */
export const DEFAULT_PRESENTATION_VERSION: PresentationVersion = 3;

/** Content-Type of `/raw-resource` lists. */
export const RAW_RESOURCE_CONTENT_TYPE = 'application/json';

/** The version a manifest request is served in: the URL's slug, else the `Accept` profile, else 3.0. */
export function servedVersion(slug: PresentationVersion | undefined, accept?: string): PresentationVersion {
  return slug ?? presentationVersionFromAccept(accept) ?? DEFAULT_PRESENTATION_VERSION;
}

/** `v2/` for a version other than the default, else nothing (the default is served at the unversioned URL). */
function slugOf(version: PresentationVersion): string {
  return version === DEFAULT_PRESENTATION_VERSION ? '' : `v${version}/`;
}

/**
 * The IIIF Presentation projections of iiif-delivery (SPEC.md §5, §7): the single-asset manifest and the named-query
 * manifest and id list. Reads through the shared lookups (customers, assets: the same 404s as the image routes) and
 * the shared named-query runner of @vellum/db; builds with the pure builders of @vellum/iiif.
 */
@Injectable()
export class PresentationService {
  private readonly logger = new Logger(PresentationService.name);
  private readonly imageDefault: IiifVersion;
  private readonly maxAssets: number;
  /**
   * Named queries by customer id and name (own or global), for `VELLUM_DELIVERY_LOOKUP_TTL_MS` (unknown ones 5 s):
   * what a request for new arguments of a known query need not read again. An edited template is seen within
   * the TTL.
   */
  private readonly queries: LRUCache<string, { value: ResolvedNamedQuery | null }>;

  constructor(
    private readonly lookup: AssetLookupService,
    private readonly cache: PresentationCache,
    private readonly access: AccessControlService,
    private readonly views: AccessViewService,
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(DELIVERY_ENV) env: DeliveryEnv,
  ) {
    this.imageDefault = env.VELLUM_IIIF_DEFAULT_VERSION;
    this.maxAssets = env.VELLUM_NAMED_QUERY_MAX_ASSETS;
    const ttl = env.VELLUM_DELIVERY_LOOKUP_TTL_MS || 1;
    this.queries = new LRUCache<string, { value: ResolvedNamedQuery | null }>({
      max: 1000,
      ttl,
      fetchMethod: async (key, _stale, { options }) => {
        const slash = key.indexOf('/');
        const value = await findNamedQuery(this.prisma, Number(key.slice(0, slash)), key.slice(slash + 1));
        if (!value) options.ttl = Math.min(5_000, ttl);
        return { value };
      },
    });
  }

  /**
   * `/iiif-manifest/[v2/|v3/]{c}/{s}/{id}`: the manifest of one asset (SPEC.md §5), cached with the asset's lookup
   * (dropped by its `asset.*` events). Its `id` names the customer by integer id, as the asset's `manifest` link
   * does (SPEC.md §3.4).
   * @throws 404 unknown customer/space/asset, still ingesting, failed; an asset with nothing to show (`none`);
   *   2.1 asked for a non-image asset. 400 a control character in the id.
   */
  async assetManifest(
    path: ManifestPath,
    base: string,
    accept?: string,
    authBase: string = base,
  ): Promise<CachedDocument> {
    const asset = await this.lookup.resolve(path.customer, path.space, path.id);
    const described = fromDeliveryAsset(asset);
    const label = `${path.customer}/${asset.spaceId}/${asset.id}`;
    if (assetPresentation(described) === 'none') {
      throw notFound(
        `Asset ${label} has no IIIF manifest: it is not delivered on any channel a manifest shows ` +
          `(iiif-img, thumbs, iiif-av, file)`,
      );
    }
    const version = servedVersion(path.slug, accept);
    if (version === 2 && !presentableInV2(described)) {
      throw notFound(
        `Asset ${label} has no Presentation 2.1 manifest: 2.1 manifests are served for image assets only ` +
          `(its 3.0 manifest is /${IIIF_MANIFEST}/${asset.customerId}/${asset.spaceId}/${encodeSegment(asset.id)})`,
      );
    }
    const contentType = presentationContentType(version);
    const cacheKey = `manifest ${version} ${base} ${authBase}`;
    let body = asset.infoCache.get(cacheKey);
    if (!body) {
      // A restricted asset's probe service offers the access services of its roles (IIIF Auth 2.0, SPEC.md §6).
      if (described.restricted) described.accessServices = await this.access.accessServices(asset, authBase);
      const id =
        `${base}/${IIIF_MANIFEST}/${slugOf(version)}` +
        `${asset.customerId}/${asset.spaceId}/${encodeSegment(asset.id)}`;
      const input: ManifestInput = {
        id,
        label: { none: [asset.id] },
        assets: [described],
        base,
        imageDefaultVersion: this.imageDefault,
      };
      body = JSON.stringify(version === 3 ? buildManifestV3(input) : buildManifestV2(input));
      if (asset.infoCache.size < 16) asset.infoCache.set(cacheKey, body);
    }
    const updated = asset.updated && asset.updated > asset.finished ? asset.updated : asset.finished;
    return {
      body: Buffer.from(body),
      contentType,
      etag: etagOf(body, contentType),
      lastModified: updated,
      restricted: asset.roles.length > 0,
    };
  }

  /**
   * `/iiif-resource/[v2/|v3/]{c}/{query}/{args...}` (`kind` `manifest`) and `/raw-resource/{c}/{query}/{args...}`
   * (`raw`): the named query run for the customer of the URL (SPEC.md §7), cached per customer.
   * - manifest: one canvas per asset in the query's order (file-only assets as `rendering`); its `id` is the
   *   URL asked for (the unversioned one for 3.0); its label the value of the template's `manifest=` field on the
   *   first asset, else `{query} {args...}`;
   * - raw: `["{customerId}/{space}/{id}", ...]` in order.
   * Restricted assets carry their Auth 2.0 probe service with the access services of their roles, under `authBase`
   * (the public base of auth-service; default `base`).
   * @throws 400 bad arguments (every problem, naming the argument), more than `VELLUM_NAMED_QUERY_MAX_ASSETS`
   *   matches; 404 unknown customer, unknown query, no match (and, for 2.1, no image among the matches); 503 the
   *   database is unavailable.
   */
  async namedQuery(
    kind: 'manifest' | 'raw',
    path: NamedQueryPath,
    base: string,
    accept?: string,
    authBase: string = base,
  ): Promise<CachedDocument> {
    const customerId = await this.lookup.customerId(path.customer);
    const args = this.arguments(path);
    const version = kind === 'manifest' ? servedVersion(path.slug, accept) : undefined;
    const key = `${kind} ${version ?? '-'} ${base} ${authBase} ${path.customer} ${path.query} ${JSON.stringify(args)}`;
    return this.cache.get(customerId, key, () =>
      this.guard(() => this.runNamedQuery(kind, customerId, path, args, base, version, authBase)),
    );
  }

  private async runNamedQuery(
    kind: 'manifest' | 'raw',
    customerId: number,
    path: NamedQueryPath,
    args: string[],
    base: string,
    version: PresentationVersion | undefined,
    authBase: string,
  ): Promise<CachedDocument> {
    const found = (await this.queries.fetch(`${customerId}/${path.query}`))!.value;
    if (!found) throw notFound(`Named query ${path.query} not found for customer ${path.customer}`);
    let bound: BoundNamedQuery;
    try {
      bound = bindNamedQuery(found.query.template, args);
    } catch (err) {
      if (err instanceof NamedQueryError) throw namedQueryProblem(path.query, err);
      throw err;
    }
    const rows = await findNamedQueryAssets(this.prisma, customerId, bound, { limit: this.maxAssets + 1 });
    const call = [path.query, ...args].join('/');
    if (rows.length > this.maxAssets) {
      throw badRequest(
        `Named query ${call} matches more than ${this.maxAssets} assets (VELLUM_NAMED_QUERY_MAX_ASSETS): ` +
          `give it arguments that select fewer`,
      );
    }
    if (rows.length === 0)
      throw notFound(`Named query ${call} matches no assets of customer ${path.customer}`);
    const lastModified = newestChange(rows);
    const restricted = rows.some((r) => r.roles.length > 0);
    if (kind === 'raw') {
      const body = JSON.stringify(rows.map((r) => `${r.customerId}/${r.spaceId}/${r.id}`));
      return document(body, RAW_RESOURCE_CONTENT_TYPE, lastModified, restricted);
    }
    const v = version ?? DEFAULT_PRESENTATION_VERSION;
    let assets = rows.map(fromNamedQueryAsset);
    if (restricted) {
      const view = await this.views.viewOf(customerId);
      assets = assets.map((a, i) =>
        a.restricted ? { ...a, accessServices: accessServicesFor(view, rows[i].roles, authBase) } : a,
      );
    }
    if (v === 2) {
      assets = assets.filter(presentableInV2);
      if (assets.length === 0) {
        throw notFound(
          `Named query ${call} matches ${rows.length} asset${rows.length === 1 ? '' : 's'} and none is an image: ` +
            `Presentation 2.1 manifests show image assets only (ask for the 3.0 manifest)`,
        );
      }
    }
    const id =
      `${base}/${IIIF_RESOURCE}/${slugOf(v)}${encodeSegment(path.customer)}/${encodeSegment(path.query)}` +
      args.map((a) => `/${encodeSegment(a)}`).join('');
    const input: ManifestInput = {
      id,
      label: manifestLabel(bound, rows[0], [path.query, ...args].join(' ')),
      assets,
      base,
      imageDefaultVersion: this.imageDefault,
    };
    const body = JSON.stringify(v === 3 ? buildManifestV3(input) : buildManifestV2(input));
    return document(body, presentationContentType(v), lastModified, restricted);
  }

  /** The decoded arguments of a named-query URL. @throws 400 for a malformed escape. */
  private arguments(path: NamedQueryPath): string[] {
    try {
      return parseNamedQueryArguments(path.argumentTail);
    } catch (err) {
      if (err instanceof NamedQueryError) throw namedQueryProblem(path.query, err);
      throw err;
    }
  }

  /** A transient database failure → 503 with `Retry-After` (SPEC.md §10); anything else as it is. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isDeliveryError(err) || !isTransientDbError(err)) throw err;
      this.logger.warn(`named query failed: ${err instanceof Error ? err.message : String(err)}`);
      throw deliveryError(503, 'The metadata store is unavailable; retry later', { 'Retry-After': '1' });
    }
  }
}

/** 400 naming every problem of a request's arguments (or of the stored template), as SPEC.md §7 asks. */
function namedQueryProblem(query: string, err: NamedQueryError) {
  return deliveryError(400, `Named query ${query}: ${err.problems.join('; ')}`);
}

/** A rendered document with its validators. */
function document(
  body: string,
  contentType: string,
  lastModified: Date,
  restricted: boolean,
): CachedDocument {
  return { body: Buffer.from(body), contentType, etag: etagOf(body, contentType), lastModified, restricted };
}

/**
 * The label of a named-query manifest: the value of the template's `manifest=` field (SPEC.md §7, e.g. the
 * `string1` that names the book) on the first asset; else `fallback` (`{query} {args...}`).
 */
function manifestLabel(bound: BoundNamedQuery, first: NamedQueryAsset, fallback: string): LanguageMap {
  const value = bound.manifest ? first[bound.manifest] : undefined;
  return { none: [value === null || value === undefined || value === '' ? fallback : String(value)] };
}
