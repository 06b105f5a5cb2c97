import { AsyncLocalStorage } from 'node:async_hooks';
import { Inject, Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { GATEWAY_ENV, type GatewayEnv } from '../config/gateway-env';
import { apiBaseUrl, seg } from './public-url';

const requestBase = new AsyncLocalStorage<string>();

/**
 * Express middleware factory: computes the public API base of each request (VELLUM_API_URL, overridden by
 * X-Forwarded-Host/Proto) and runs the rest of the request inside it, so {@link Links} builds matching `@id`s.
 */
export function publicBaseMiddleware(configured: string) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    requestBase.run(apiBaseUrl(configured, req), next);
  };
}

/** Builds the absolute URLs of API resources (SPEC.md §3.1) and delivery services (§3.4, §5). */
@Injectable()
export class Links {
  constructor(@Inject(GATEWAY_ENV) private readonly env: GatewayEnv) {}

  /** The public base of the current request, without trailing slash. */
  base(): string {
    return requestBase.getStore() ?? apiBaseUrl(this.env.VELLUM_API_URL);
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
  queue(c: number): string {
    return `${this.customer(c)}/queue`;
  }
  batches(c: number): string {
    return `${this.queue(c)}/batches`;
  }
  batch(c: number, b: number): string {
    return `${this.batches(c)}/${b}`;
  }

  /** `{VELLUM_DELIVERY_URL}/{channel}/{c}/{s}/{id}`. */
  delivery(channel: 'iiif-img' | 'thumbs' | 'iiif-av' | 'file', c: number, s: number, id: string): string {
    return `${this.env.VELLUM_DELIVERY_URL.replace(/\/+$/, '')}/${channel}/${c}/${s}/${seg(id)}`;
  }
}
