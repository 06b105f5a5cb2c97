import { randomBytes } from 'node:crypto';
import { Controller, Get, HttpCode, Inject, Logger, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { accessServicePath, cookieValue, hashPassword, verifyPassword } from '@vellum/access';
import { ProblemException } from '@vellum/common';
import { AuthServiceEnv } from '../auth-service.env';
import { FORM_SIGNER, RequestContext } from '../config/providers';
import { clearCookie, setCookie } from '../http/cookies';
import type { FormSigner } from '../http/form-signer';
import { LoginLimiter } from '../providers/login-limiter';
import {
  OidcRejectedError,
  OidcService,
  type OidcTransient,
  OidcUnavailableError,
} from '../providers/oidc.service';
import { SessionsService } from '../sessions/sessions.service';
import { sendClickthroughPage, sendErrorPage, sendGrantedPage, sendLoginPage } from './access-pages';
import { AccessServicesRepository, type ResolvedAccessService, roleName } from './access-services.repository';

/** Cookie holding the nonce the form's CSRF token is bound to (path: the access service). */
const FORM_COOKIE = 'vellum-form';
/** Cookie holding the signed OIDC transient state (path: the callback). */
const OIDC_COOKIE = 'vellum-oidc';
/** Lifetime of a form (CSRF token and its cookie), seconds. */
const FORM_TTL_S = 1800;
/** Lifetime of an OIDC login attempt, seconds. */
const OIDC_TTL_S = 600;
/** The one message of every failed login (no user enumeration). */
const LOGIN_FAILED = 'The username or password is incorrect.';

/** `{c}` of a path: a positive integer, else undefined. */
export function customerIdParam(c: string): number | undefined {
  return /^[1-9][0-9]{0,9}$/.test(c) && Number(c) <= 2_147_483_647 ? Number(c) : undefined;
}

/**
 * The IIIF Authorization Flow 2.0 access services (§2.2 `AuthAccessService2`) at
 * `/auth/v2/access/{c}/{service}` (issue 10 contract "Public Auth 2.0 URLs"), opened by the client in a window
 * with `?origin=`:
 * - `active` + clickthrough: a page with the service's heading, note and a confirm button; its POST (CSRF token
 *   bound to a cookie) opens a session granting the roles whose `accessService` is this service;
 * - `active` + builtin: a login form; its POST verifies the password (rate-limited, generic failure, the same work
 *   for unknown users) and grants the user's roles;
 * - `active` + oidc: a 302 to the provider's authorization endpoint (code + PKCE S256, state, nonce), the redirect
 *   URI always `{auth}/auth/v2/access/{c}/{service}/callback`; the callback maps the claim's values to roles;
 * - `kiosk`: the GET itself opens the session; `external`: 400 (no user interaction; only the token service).
 * Every success sets the session cookie and answers a page that closes the window. No input ever chooses where
 * to redirect (no `returnTo`).
 */
@Controller()
export class AccessController {
  private readonly logger = new Logger(AccessController.name);
  private dummyHash?: Promise<string>;

  constructor(
    private readonly repo: AccessServicesRepository,
    private readonly sessions: SessionsService,
    private readonly oidc: OidcService,
    private readonly limiter: LoginLimiter,
    private readonly ctx: RequestContext,
    @Inject(FORM_SIGNER) private readonly forms: FormSigner,
    @Inject(AuthServiceEnv) private readonly env: AuthServiceEnv,
  ) {}

  /** GET the access service (see the class). 404 problem for an unknown customer or service. */
  @Get('auth/v2/access/:c/:service')
  async open(
    @Param('c') c: string,
    @Param('service') name: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const resolved = await this.resolve(c, name);
    const lang = req.headers['accept-language'];
    const { profile } = resolved.service;
    if (profile === 'external') {
      throw ProblemException.of(
        400,
        'Bad Request',
        `Access service ${name} is external: it has no user interaction; use the token service`,
      );
    }
    if (profile === 'kiosk') return this.grant(res, resolved, resolved.serviceRoles, null);
    switch (resolved.provider.type) {
      case 'clickthrough':
        return sendClickthroughPage(res, resolved, lang, ...this.newForm(resolved));
      case 'builtin':
        return sendLoginPage(res, resolved, lang, ...this.newForm(resolved));
      case 'oidc':
        return this.beginOidc(req, res, resolved);
    }
  }

  /** POST the clickthrough confirmation or the login form (CSRF-checked). */
  @Post('auth/v2/access/:c/:service')
  @HttpCode(200)
  async submit(
    @Param('c') c: string,
    @Param('service') name: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const resolved = await this.resolve(c, name);
    const lang = req.headers['accept-language'];
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    const interactive =
      resolved.service.profile === 'active' &&
      (resolved.provider.type === 'clickthrough' || resolved.provider.type === 'builtin');
    if (!interactive) {
      throw ProblemException.of(405, 'Method Not Allowed', `Access service ${name} takes no form`);
    }
    if (!this.formValid(req, resolved, body.csrf)) {
      return sendErrorPage(
        res,
        400,
        'Please try again',
        'This form has expired or was not opened here. Reload the page and try again.',
      );
    }
    if (resolved.provider.type === 'clickthrough') {
      return this.grant(res, resolved, resolved.serviceRoles, null, [this.clearForm(resolved)]);
    }
    const username = typeof body.username === 'string' ? body.username.trim().slice(0, 200) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
    const userKey = `user:${resolved.customerId}:${username.toLowerCase()}`;
    const keys = [userKey, `addr:${this.ctx.clientAddress(req)}`];
    const wait = this.limiter.retryAfter(keys);
    if (wait > 0) {
      return sendErrorPage(
        res,
        429,
        'Too many attempts',
        'Too many failed sign-in attempts. Try again later.',
        {
          headers: { 'Retry-After': String(wait) },
        },
      );
    }
    const user = username ? await this.repo.findUser(resolved.customerId, username) : null;
    // Same work whether or not the user exists and is enabled: no enumeration by timing.
    const hash = user?.enabled ? user.passwordHash : await this.dummy();
    const ok = (await verifyPassword(password, hash)) && !!user?.enabled;
    if (!ok || !user) {
      this.limiter.fail(keys);
      return sendLoginPage(res, resolved, lang, ...this.newForm(resolved), {
        status: 401,
        error: LOGIN_FAILED,
        username,
      });
    }
    this.limiter.succeed(userKey);
    const roles = user.roles.filter((r) => resolved.customerRoles.has(r));
    return this.grant(res, resolved, roles, user.id, [this.clearForm(resolved)]);
  }

  /** The OIDC redirect URI: exchanges the code, validates the ID token, maps the claim to roles. */
  @Get('auth/v2/access/:c/:service/callback')
  async callback(
    @Param('c') c: string,
    @Param('service') name: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const resolved = await this.resolve(c, name);
    if (resolved.service.profile !== 'active' || resolved.provider.type !== 'oidc') {
      throw ProblemException.of(404, 'Not Found', `Access service ${name} has no sign-in callback`);
    }
    const clear = clearCookie(OIDC_COOKIE, {
      path: this.callbackPath(resolved),
      secure: this.env.cookieSecure,
    });
    const saved = this.forms.verify('oidc', cookieValue(req.headers.cookie, OIDC_COOKIE));
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.query)) if (typeof v === 'string') params[k] = v;
    if (!saved || saved.c !== resolved.customerId || saved.svc !== resolved.service.name) {
      return sendErrorPage(
        res,
        400,
        'Please sign in again',
        'This sign-in has expired or was not started here.',
        {
          cookies: [clear],
        },
      );
    }
    if (params.error) {
      return sendErrorPage(res, 401, 'Sign-in failed', 'The sign-in provider did not grant access.', {
        cookies: [clear],
      });
    }
    try {
      const identity = await this.oidc.complete(resolved, params, saved as unknown as OidcTransient);
      const roles = OidcService.mapRoles(resolved.provider.roleMapping, identity, (ref) => {
        const n = roleName(ref, resolved.customerId);
        return n && resolved.customerRoles.has(n) ? n : undefined;
      });
      return await this.grant(res, resolved, roles, identity.subject, [clear]);
    } catch (err) {
      return this.oidcFailure(res, err, [clear]);
    }
  }

  private async beginOidc(req: Request, res: Response, resolved: ResolvedAccessService): Promise<void> {
    const redirectUri = `${this.ctx.authBase(req)}${this.callbackPath(resolved)}`;
    try {
      const { url, transient } = await this.oidc.begin(resolved, redirectUri);
      const state = this.forms.sign(
        'oidc',
        { ...transient, c: resolved.customerId, svc: resolved.service.name },
        OIDC_TTL_S,
      );
      res.setHeader(
        'Set-Cookie',
        setCookie(OIDC_COOKIE, state, {
          maxAgeS: OIDC_TTL_S,
          path: this.callbackPath(resolved),
          secure: this.env.cookieSecure,
        }),
      );
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Referrer-Policy', 'no-referrer');
      res.redirect(302, url);
    } catch (err) {
      return this.oidcFailure(res, err, []);
    }
  }

  private oidcFailure(res: Response, err: unknown, cookies: string[]): void {
    if (err instanceof OidcRejectedError) {
      return sendErrorPage(
        res,
        401,
        'Sign-in failed',
        'The sign-in could not be completed. Please try again.',
        {
          cookies,
        },
      );
    }
    if (err instanceof OidcUnavailableError) {
      return sendErrorPage(
        res,
        502,
        'Sign-in unavailable',
        'The sign-in provider cannot be reached at the moment. Please try again later.',
        { cookies },
      );
    }
    throw err;
  }

  private async grant(
    res: Response,
    resolved: ResolvedAccessService,
    roles: readonly string[],
    subject: string | null,
    cookies: string[] = [],
  ): Promise<void> {
    const issued = await this.sessions.create({
      customerId: resolved.customerId,
      accessService: resolved.service.name,
      roles,
      subject,
    });
    this.logger.log(
      `session opened for customer ${resolved.customerId} by access service ${resolved.service.name} (${issued.session.roles.length} roles)`,
    );
    sendGrantedPage(res, [...cookies, issued.cookie]);
  }

  private async resolve(c: string, name: string): Promise<ResolvedAccessService> {
    const customerId = customerIdParam(c);
    const resolved = customerId === undefined ? undefined : await this.repo.find(customerId, name);
    if (!resolved) throw ProblemException.of(404, 'Not Found', `No access service ${name} for customer ${c}`);
    return resolved;
  }

  /** A new form: the CSRF token (hidden field) and the cookie holding the nonce it is bound to. */
  private newForm(resolved: ResolvedAccessService): [string, string[]] {
    const nonce = randomBytes(16).toString('base64url');
    const csrf = this.forms.sign(
      'form',
      { c: resolved.customerId, svc: resolved.service.name, n: nonce },
      FORM_TTL_S,
    );
    const cookie = setCookie(FORM_COOKIE, nonce, {
      maxAgeS: FORM_TTL_S,
      path: accessServicePath(resolved.customerId, resolved.service.name),
      secure: this.env.cookieSecure,
      sameSite: 'Strict',
    });
    return [csrf, [cookie]];
  }

  private formValid(req: Request, resolved: ResolvedAccessService, csrf: unknown): boolean {
    const payload = this.forms.verify('form', csrf);
    const nonce = cookieValue(req.headers.cookie, FORM_COOKIE);
    return (
      !!payload &&
      !!nonce &&
      payload.n === nonce &&
      payload.c === resolved.customerId &&
      payload.svc === resolved.service.name
    );
  }

  private clearForm(resolved: ResolvedAccessService): string {
    return clearCookie(FORM_COOKIE, {
      path: accessServicePath(resolved.customerId, resolved.service.name),
      secure: this.env.cookieSecure,
      sameSite: 'Strict',
    });
  }

  private callbackPath(resolved: ResolvedAccessService): string {
    return `${accessServicePath(resolved.customerId, resolved.service.name)}/callback`;
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword(randomBytes(24).toString('base64'));
    return this.dummyHash;
  }
}
