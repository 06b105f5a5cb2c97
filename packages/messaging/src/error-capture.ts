import type { LoggerService } from '@nestjs/common';
import { BaseRpcExceptionFilter } from '@nestjs/microservices';
import { currentScope } from './message-scope';

let installed = false;

/**
 * Nest's default RPC exception filter replaces any error that is not an `RpcException` with
 * `{ status: 'error', message: 'Internal server error' }` after logging it through its static logger. To put the
 * real error into retry logs and the `x-vellum-error` dead-letter header, the transport wraps that static logger:
 * while a Vellum handler runs (inside a message scope) the error is recorded on the scope instead of logged (the
 * transport logs it with the message's context); outside a message scope the original logger is used unchanged.
 * Idempotent.
 */
export function installHandlerErrorCapture(): void {
  if (installed) return;
  installed = true;
  const holder = BaseRpcExceptionFilter as unknown as { logger: LoggerService };
  const original = holder.logger;
  if (!original || typeof original.error !== 'function') return;
  const wrapped = new Proxy(original, {
    get(target, prop, receiver) {
      if (prop === 'error') {
        return (message: unknown, ...rest: unknown[]) => {
          const scope = currentScope();
          if (scope) {
            if (scope.error === undefined) scope.error = message;
            return;
          }
          return target.error(message, ...rest);
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
  Object.defineProperty(BaseRpcExceptionFilter, 'logger', {
    value: wrapped,
    writable: true,
    configurable: true,
  });
}
