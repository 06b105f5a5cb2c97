import { Controller, Get, Inject, Logger, Param, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AuthSigner, cookieValue, sessionCookieName } from '@vellum/access';
import { ProblemException } from '@vellum/common';
import { AccessServicesRepository } from '../access/access-services.repository';
import { customerIdParam } from '../access/access.controller';
import { AUTH_SIGNER } from '../config/providers';
import { sendPage } from '../http/html';
import { SessionsService } from '../sessions/sessions.service';

/**
 * The IIIF Authorization Flow 2.0 logout service (§2.4 `AuthLogoutService2`) of an access service:
 * `GET /auth/v2/access/{c}/{service}/logout`. Ends the session of the `vellum-auth-{c}` cookie (`ended` set,
 * `auth.session.ended.v1` published through the outbox so iiif-delivery refuses its cookie and tokens at once),
 * clears the cookie and answers a page saying so. 404 problem for an unknown customer or service; without a
 * (valid) cookie it still clears it and says the user is logged out.
 */
@Controller()
export class LogoutController {
  private readonly logger = new Logger(LogoutController.name);

  constructor(
    private readonly repo: AccessServicesRepository,
    private readonly sessions: SessionsService,
    @Inject(AUTH_SIGNER) private readonly signer: AuthSigner,
  ) {}

  @Get('auth/v2/access/:c/:service/logout')
  async logout(
    @Param('c') c: string,
    @Param('service') name: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const customerId = customerIdParam(c);
    const resolved = customerId === undefined ? undefined : await this.repo.find(customerId, name);
    if (!resolved || customerId === undefined) {
      throw ProblemException.of(404, 'Not Found', `No access service ${name} for customer ${c}`);
    }
    const value = cookieValue(req.headers.cookie, sessionCookieName(customerId));
    if (value) {
      const verified = await this.signer.verify('session', value);
      if (verified.ok && verified.claims.cid === customerId) {
        if (await this.sessions.end(customerId, verified.claims.sid))
          this.logger.log(`session ended for customer ${customerId} (logout of ${name})`);
      }
    }
    sendPage(res, {
      heading: 'Logged out',
      cookies: [this.sessions.clearCookie(customerId)],
      bodyHtml: '<p>You have been logged out. You may close this window.</p>',
    });
  }
}
