import { Inject, Injectable } from '@nestjs/common';
import { AuthServiceEnv } from '../auth-service.env';

/** Most keys remembered (per process); the oldest windows are forgotten first. */
const MAX_KEYS = 100_000;

/**
 * Failed built-in logins per key (`user:{c}:{username}` and `addr:{address}`) in a fixed window
 * (`VELLUM_AUTH_LOGIN_MAX_FAILURES` per `VELLUM_AUTH_LOGIN_WINDOW_S`). Per replica, in memory: with n replicas an
 * attacker gets at most n times the budget, which is still a slow guess rate.
 */
@Injectable()
export class LoginLimiter {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(@Inject(AuthServiceEnv) private readonly env: AuthServiceEnv) {}

  /**
   * Seconds until one of `keys` may try again (> 0: answer 429 with `Retry-After`), or 0 when all may try.
   */
  retryAfter(keys: readonly string[], now = Date.now()): number {
    const windowMs = this.env.VELLUM_AUTH_LOGIN_WINDOW_S * 1000;
    let wait = 0;
    for (const key of keys) {
      const w = this.windows.get(key);
      if (!w) continue;
      if (now - w.start >= windowMs) {
        this.windows.delete(key);
        continue;
      }
      if (w.failures >= this.env.VELLUM_AUTH_LOGIN_MAX_FAILURES)
        wait = Math.max(wait, Math.ceil((w.start + windowMs - now) / 1000));
    }
    return wait;
  }

  /** Counts a failed login against every key. */
  fail(keys: readonly string[], now = Date.now()): void {
    const windowMs = this.env.VELLUM_AUTH_LOGIN_WINDOW_S * 1000;
    for (const key of keys) {
      const w = this.windows.get(key);
      if (w && now - w.start < windowMs) w.failures++;
      else {
        this.windows.delete(key);
        if (this.windows.size >= MAX_KEYS) {
          const oldest = this.windows.keys().next();
          if (!oldest.done) this.windows.delete(oldest.value);
        }
        this.windows.set(key, { start: now, failures: 1 });
      }
    }
  }

  /** Forgets the failures of `key` (a successful login of that user). */
  succeed(key: string): void {
    this.windows.delete(key);
  }
}
