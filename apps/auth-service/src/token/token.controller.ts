import { Controller, Get, Logger, Param, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { cookieValue, sessionCookieName } from '@vellum/access';
import { AccessServicesRepository } from '../access/access-services.repository';
import { customerIdParam } from '../access/access.controller';
import { scriptJson, sendPage } from '../http/html';
import { SessionsService } from '../sessions/sessions.service';

/** `@context` of every IIIF Auth 2.0 message. */
export const AUTH2_CONTEXT = 'http://iiif.io/api/auth/2/context.json';

/** The error profiles of `AuthAccessTokenError2` (IIIF Auth 2.0 §2.3.3). */
export type TokenErrorProfile =
  'invalidRequest' | 'invalidOrigin' | 'missingAspect' | 'expiredAspect' | 'invalidAspect' | 'unavailable';

/** English heading and note of each error profile (shown by clients that display them). */
const ERROR_TEXT: Record<TokenErrorProfile, { heading: string; note: string }> = {
  invalidRequest: {
    heading: 'Invalid request',
    note: 'The token service was asked without a valid request.',
  },
  invalidOrigin: { heading: 'Invalid origin', note: 'The token service was asked with an invalid origin.' },
  missingAspect: { heading: 'Not signed in', note: 'There is no session: use the access service first.' },
  expiredAspect: {
    heading: 'Session expired',
    note: 'Your session has expired: use the access service again.',
  },
  invalidAspect: {
    heading: 'Invalid session',
    note: 'Your session is not valid: use the access service again.',
  },
  unavailable: { heading: 'Unavailable', note: 'The token service is unavailable. Please try again later.' },
};

/**
 * A valid web origin (`scheme://host[:port]`, http or https, nothing else: no path, query, fragment, userinfo or
 * trailing slash), as `window.postMessage` needs for its target origin; else undefined.
 */
export function validOrigin(origin: unknown): string | undefined {
  if (typeof origin !== 'string' || origin.length > 2048) return undefined;
  try {
    const u = new URL(origin);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return u.origin === origin ? origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The IIIF Authorization Flow 2.0 access token service (§2.3 `AuthAccessTokenService2`) of customer `{c}`:
 * `GET /auth/v2/token/{c}?messageId=&origin=`, loaded by the client in a hidden iframe. Answers an HTML page whose
 * script calls `window.parent.postMessage(message, origin)`: an `AuthAccessToken2` (`accessToken`, `expiresIn`,
 * `messageId`) for a live session cookie `vellum-auth-{c}` (sliding its expiry and re-issuing the cookie), else an
 * `AuthAccessTokenError2` with `profile` `invalidRequest` (no `messageId`, unknown customer), `invalidOrigin`
 * (posted to `*`: it carries no token), `missingAspect`, `expiredAspect`, `invalidAspect` or `unavailable`.
 * Always HTTP 200 (the message is the answer), `Cache-Control: no-store`, frameable.
 */
@Controller()
export class TokenController {
  private readonly logger = new Logger(TokenController.name);

  constructor(
    private readonly sessions: SessionsService,
    private readonly repo: AccessServicesRepository,
  ) {}

  @Get('auth/v2/token/:c')
  async token(
    @Param('c') c: string,
    @Query('messageId') messageId: unknown,
    @Query('origin') origin: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const id = typeof messageId === 'string' && messageId !== '' ? messageId.slice(0, 1024) : undefined;
    const target = validOrigin(origin);
    const error = (profile: TokenErrorProfile): void =>
      this.post(res, target ?? '*', {
        '@context': AUTH2_CONTEXT,
        type: 'AuthAccessTokenError2',
        profile,
        heading: { en: [ERROR_TEXT[profile].heading] },
        note: { en: [ERROR_TEXT[profile].note] },
        ...(id !== undefined ? { messageId: id } : {}),
      });
    if (!target) return error('invalidOrigin');
    const customerId = customerIdParam(c);
    if (id === undefined || customerId === undefined) return error('invalidRequest');
    try {
      if (!(await this.repo.customerExists(customerId))) return error('invalidRequest');
      const found = await this.sessions.lookup(
        customerId,
        cookieValue(req.headers.cookie, sessionCookieName(customerId)),
      );
      if (found.status !== 'live') {
        return error(
          found.status === 'missing'
            ? 'missingAspect'
            : found.status === 'expired'
              ? 'expiredAspect'
              : 'invalidAspect',
        );
      }
      const slid = await this.sessions.slide(found.session);
      const { accessToken, expiresIn } = await this.sessions.accessToken(slid.session);
      this.post(
        res,
        target,
        { '@context': AUTH2_CONTEXT, type: 'AuthAccessToken2', accessToken, expiresIn, messageId: id },
        [slid.cookie],
      );
    } catch (err) {
      this.logger.error(`token service of customer ${c} failed: ${(err as Error).message}`);
      return error('unavailable');
    }
  }

  private post(res: Response, target: string, message: object, cookies: string[] = []): void {
    sendPage(res, {
      heading: 'Access token',
      denyFraming: false,
      cookies,
      bodyHtml: '',
      script: `window.parent.postMessage(${scriptJson(message)}, ${scriptJson(target)});`,
    });
  }
}
