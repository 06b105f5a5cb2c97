import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type AuthClaims, AuthSigner, sessionCookieName } from '@vellum/access';
import { AuthSessionEndedV1 } from '@vellum/contracts';
import { PRISMA, type PrismaClient } from '@vellum/db';
import { OutboxRelay, outboxRow } from '@vellum/messaging';
import { AuthServiceEnv } from '../auth-service.env';
import { AUTH_SIGNER } from '../config/providers';
import { clearCookie, setCookie } from '../http/cookies';

/** Service name (envelope `producer`). */
const PRODUCER = 'auth-service';

/** A session row as this service uses it. */
export interface SessionRow {
  id: string;
  customerId: number;
  accessService: string;
  roles: string[];
  subject: string | null;
  created: Date;
  expires: Date;
  ended: Date | null;
}

/** A session just made or extended: the row and its `Set-Cookie`. */
export interface IssuedSession {
  session: SessionRow;
  /** The `Set-Cookie` value of cookie `vellum-auth-{cid}`. */
  cookie: string;
}

/**
 * The outcome of reading a request's session cookie for customer `c` (IIIF Auth 2.0 §2.3 error profiles):
 * `missing` (no cookie: `missingAspect`), `expired` (`expiredAspect`), `invalid` (forged, another customer's, no
 * such session, or ended: `invalidAspect`), or the live session.
 */
export type SessionLookup =
  | { readonly status: 'missing' | 'expired' | 'invalid' }
  | { readonly status: 'live'; readonly session: SessionRow; readonly claims: AuthClaims };

/**
 * IIIF Auth 2.0 sessions (`auth_sessions`; issue 10 contract "Credentials"): created by the access services,
 * read and slid by the token service, ended by the logout service (which announces `auth.session.ended.v1`
 * through the transactional outbox, SPEC.md §2).
 */
@Injectable()
export class SessionsService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(AUTH_SIGNER) private readonly signer: AuthSigner,
    @Inject(AuthServiceEnv) private readonly env: AuthServiceEnv,
    private readonly outbox: OutboxRelay,
  ) {}

  /**
   * Opens a session: a random 32-byte base64url id, `expires` = now + `VELLUM_AUTH_SESSION_TTL_S` (bounded by
   * `VELLUM_AUTH_SESSION_MAX_S`), and its cookie.
   * @param grant the customer id, the access service's name, the role names granted and who (or null).
   */
  async create(grant: {
    customerId: number;
    accessService: string;
    roles: readonly string[];
    subject: string | null;
  }): Promise<IssuedSession> {
    const now = new Date();
    const ttlS = Math.min(this.env.VELLUM_AUTH_SESSION_TTL_S, this.env.VELLUM_AUTH_SESSION_MAX_S);
    const session = await this.prisma.authSession.create({
      data: {
        id: randomBytes(32).toString('base64url'),
        customerId: grant.customerId,
        accessService: grant.accessService,
        roles: [...new Set(grant.roles)].sort(),
        subject: grant.subject,
        created: now,
        lastSeen: now,
        expires: new Date(now.getTime() + ttlS * 1000),
      },
    });
    return { session, cookie: await this.cookieFor(session, now.getTime()) };
  }

  /**
   * Reads the `vellum-auth-{c}` cookie of a request: verified with the AuthSigner (signature, expiry), its `cid`
   * equal to `customerId`, and its session row present, not ended and not expired.
   * @param cookieValue the cookie's value or undefined.
   */
  async lookup(customerId: number, cookieValue: string | undefined): Promise<SessionLookup> {
    if (!cookieValue) return { status: 'missing' };
    const verified = await this.signer.verify('session', cookieValue);
    if (!verified.ok) return { status: verified.reason };
    const { claims } = verified;
    if (claims.cid !== customerId) return { status: 'invalid' };
    const session = await this.prisma.authSession.findUnique({ where: { id: claims.sid } });
    if (!session || session.customerId !== customerId || session.ended) return { status: 'invalid' };
    if (session.expires.getTime() <= Date.now()) return { status: 'expired' };
    return { status: 'live', session, claims };
  }

  /**
   * Sliding expiry: pushes `expires` to now + `VELLUM_AUTH_SESSION_TTL_S`, never past `created` +
   * `VELLUM_AUTH_SESSION_MAX_S` (and never backwards), and re-issues the cookie.
   */
  async slide(session: SessionRow): Promise<IssuedSession> {
    const now = Date.now();
    const bound = session.created.getTime() + this.env.VELLUM_AUTH_SESSION_MAX_S * 1000;
    const next = Math.max(
      session.expires.getTime(),
      Math.min(now + this.env.VELLUM_AUTH_SESSION_TTL_S * 1000, bound),
    );
    const updated = await this.prisma.authSession.update({
      where: { id: session.id },
      data: { expires: new Date(next), lastSeen: new Date(now) },
    });
    return { session: updated, cookie: await this.cookieFor(updated, now) };
  }

  /**
   * An access token for a live session (IIIF Auth 2.0 §2.3 `accessToken`): its claims are the session row's;
   * it lives `VELLUM_AUTH_TOKEN_TTL_S` but never past the session's `expires`.
   * @returns the token and `expiresIn` (seconds).
   */
  async accessToken(session: SessionRow): Promise<{ accessToken: string; expiresIn: number }> {
    const left = Math.floor((session.expires.getTime() - Date.now()) / 1000);
    const expiresIn = Math.max(1, Math.min(this.env.VELLUM_AUTH_TOKEN_TTL_S, left));
    const accessToken = await this.signer.sign(
      'access',
      { sid: session.id, cid: session.customerId, roles: session.roles, svc: session.accessService },
      expiresIn,
    );
    return { accessToken, expiresIn };
  }

  /**
   * Ends a session (logout): sets `ended` and, in the same transaction, queues `auth.session.ended.v1`
   * `{customerId, sessionId, expires}` (`expires`: when its last cookie or token would expire anyway) in the
   * outbox. Idempotent: an already ended or unknown session changes nothing and publishes nothing.
   * @returns whether a live session was ended.
   */
  async end(customerId: number, sessionId: string): Promise<boolean> {
    const ended = await this.prisma.$transaction(async (tx) => {
      const row = await tx.authSession.findUnique({ where: { id: sessionId } });
      if (!row || row.customerId !== customerId || row.ended) return false;
      const now = new Date();
      const changed = await tx.authSession.updateMany({
        where: { id: sessionId, ended: null },
        data: { ended: now },
      });
      if (changed.count === 0) return false;
      const lastToken = row.lastSeen.getTime() + this.env.VELLUM_AUTH_TOKEN_TTL_S * 1000;
      const event = Object.assign(new AuthSessionEndedV1(), {
        customerId,
        sessionId,
        expires: new Date(Math.max(row.expires.getTime(), lastToken, now.getTime())).toISOString(),
      });
      await tx.outboxMessage.create({ data: outboxRow(event, { producer: PRODUCER }) });
      return true;
    });
    if (ended) this.outbox.kick();
    return ended;
  }

  /** The `Set-Cookie` value that deletes customer `customerId`'s session cookie. */
  clearCookie(customerId: number): string {
    return clearCookie(sessionCookieName(customerId), { secure: this.env.cookieSecure });
  }

  private async cookieFor(session: SessionRow, now: number): Promise<string> {
    const ttlS = Math.max(1, Math.floor((session.expires.getTime() - now) / 1000));
    const value = await this.signer.sign(
      'session',
      { sid: session.id, cid: session.customerId, roles: session.roles, svc: session.accessService },
      ttlS,
      now,
    );
    return setCookie(sessionCookieName(session.customerId), value, {
      maxAgeS: ttlS,
      secure: this.env.cookieSecure,
    });
  }
}
