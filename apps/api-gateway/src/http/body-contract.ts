import {
  applyDecorators,
  type CallHandler,
  createParamDecorator,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  RequestMethod,
  SetMetadata,
  type Type,
} from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { ApiBody } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { validationProblem, type FieldError } from './problems';
import { validateBody } from './validate-body';

/** JSON-LD members any body may echo (SPEC.md §3.1); never "unknown". */
export const JSON_LD_KEYS = ['@context', '@id', '@type'] as const;

/** What a write route accepts as its body (metadata of {@link JsonBody} / {@link NoBody}). */
export interface BodyContract {
  /** The DTO listing the writable fields; undefined for {@link NoBody}. */
  dto?: Type<object>;
  /** Read-only members clients may echo (checked by the route, or ignored). */
  readOnly: readonly string[];
  /** `validate`: the interceptor validates the DTO (class-validator) and hands it to `@ValidBody()`; `fields`: it
   * only rejects unknown fields, the route validates the rest (assets compare read-only fields with the stored
   * asset). */
  mode: 'validate' | 'fields';
  /** PATCH semantics: required fields may be absent. */
  partial: boolean;
  /**
   * `fields` mode: the route's own stateless validation, run when the body has unknown fields so that the 400
   * still lists every failed field (SPEC.md §3.1), not only the unknown ones.
   */
  precheck?: (body: unknown) => FieldError[];
}

const BODY_CONTRACT = 'vellum:body-contract';
const VALIDATED = Symbol('vellum:validated-body');

/**
 * Declares the JSON body of a write route (POST/PUT/PATCH) and documents it in OpenAPI. Every write route must
 * carry this or {@link NoBody} (start-up fails otherwise, see {@link assertBodyContracts}); the global
 * {@link BodyContractInterceptor} then rejects unknown fields with a 400 naming them, so no route can forget.
 * @param dto class-validator DTO of the writable fields.
 * @param opts.readOnly members clients may echo back; `validate: false` leaves value validation to the route.
 */
export function JsonBody(
  dto: Type<object>,
  opts: {
    readOnly?: readonly string[];
    partial?: boolean;
    validate?: boolean;
    precheck?: (body: unknown) => FieldError[];
    description?: string;
  } = {},
): MethodDecorator {
  const contract: BodyContract = {
    dto,
    readOnly: opts.readOnly ?? [],
    mode: opts.validate === false ? 'fields' : 'validate',
    partial: opts.partial ?? false,
    precheck: opts.precheck,
  };
  return applyDecorators(
    SetMetadata(BODY_CONTRACT, contract),
    ApiBody({
      type: dto,
      description:
        opts.description ??
        `Unknown fields → 400. Read-only members that may be echoed: ${[...JSON_LD_KEYS, ...contract.readOnly].join(', ')}.`,
    }),
  );
}

/** Declares that a write route takes no body: anything but nothing, `{}` or JSON-LD members (`@type`...) → 400. */
export function NoBody(): MethodDecorator {
  return SetMetadata(BODY_CONTRACT, { readOnly: [], mode: 'fields', partial: false } satisfies BodyContract);
}

/** The DTO validated by the interceptor for a `@JsonBody(Dto)` route (the raw body stays in `@Body()`). */
export const ValidBody = createParamDecorator((_: unknown, ctx: ExecutionContext): unknown => {
  const req = ctx.switchToHttp().getRequest<Request & { [VALIDATED]?: unknown }>();
  if (!(VALIDATED in req)) throw new Error('@ValidBody() used on a route without @JsonBody(Dto)');
  return req[VALIDATED];
});

const dtoFields = new Map<Type<object>, Set<string>>();
/** The properties a DTO declares with class-validator decorators (what `whitelist` keeps). */
export function fieldsOf(dto: Type<object>): Set<string> {
  let set = dtoFields.get(dto);
  if (!set) {
    set = new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(dto, '', true, false)
        .map((m) => m.propertyName),
    );
    dtoFields.set(dto, set);
  }
  return set;
}

/** The body's fields that the contract does not know, as 400 field errors. */
export function unknownFieldErrors(contract: BodyContract, body: unknown): FieldError[] {
  if (body === undefined || body === null) return [];
  if (typeof body !== 'object' || Array.isArray(body)) {
    return [
      {
        field: 'body',
        message: contract.dto ? 'the request body must be a JSON object' : 'this route takes no request body',
      },
    ];
  }
  const known = contract.dto ? fieldsOf(contract.dto) : new Set<string>();
  const errors: FieldError[] = [];
  for (const k of Object.keys(body)) {
    if (known.has(k) || contract.readOnly.includes(k) || (JSON_LD_KEYS as readonly string[]).includes(k))
      continue;
    errors.push({
      field: k,
      message: contract.dto
        ? `unknown field "${k}"`
        : `unknown field "${k}": this route takes no request body`,
    });
  }
  return errors;
}

/**
 * Global interceptor enforcing each route's {@link BodyContract} after authentication (so 401/403 come first):
 * unknown fields → 400 listing them; `validate` contracts are validated with class-validator (every failed field
 * listed) and the DTO is handed to `@ValidBody()`.
 */
@Injectable()
export class BodyContractInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const contract = this.reflector.get<BodyContract | undefined>(BODY_CONTRACT, context.getHandler());
    if (!contract) return next.handle();
    const req = context.switchToHttp().getRequest<Request & { [VALIDATED]?: unknown }>();
    const body: unknown = req.body;
    const unknown = unknownFieldErrors(contract, body);
    if (unknown.length) {
      if (contract.mode === 'validate' && contract.dto) {
        // class-validator lists the unknown fields together with every other failed field.
        validateBody(contract.dto, body, {
          ignore: [...JSON_LD_KEYS, ...contract.readOnly],
          skipMissing: contract.partial,
        });
      }
      throw validationProblem(mergeErrors(contract.precheck?.(body) ?? [], unknown));
    }
    if (contract.dto && contract.mode === 'validate') {
      req[VALIDATED] = validateBody(contract.dto, body ?? {}, {
        ignore: [...JSON_LD_KEYS, ...contract.readOnly],
        skipMissing: contract.partial,
      }).dto;
    }
    return next.handle();
  }
}

/** `a` then the entries of `b` not already in it (same field and message). */
function mergeErrors(a: FieldError[], b: FieldError[]): FieldError[] {
  const seen = new Set(a.map((e) => `${e.field}\u0000${e.message}`));
  return [...a, ...b.filter((e) => !seen.has(`${e.field}\u0000${e.message}`))];
}

const WRITE_METHODS = new Set([RequestMethod.POST, RequestMethod.PUT, RequestMethod.PATCH]);

/**
 * Start-up check: every POST/PUT/PATCH handler of these controllers declares its body with {@link JsonBody} or
 * {@link NoBody}.
 * @throws Error naming the handlers that do not.
 */
export function assertBodyContracts(controllers: readonly Type<object>[]): void {
  const missing: string[] = [];
  for (const controller of controllers) {
    const proto = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const handler = proto[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined || !WRITE_METHODS.has(method)) continue;
      if (!Reflect.getMetadata(BODY_CONTRACT, handler)) missing.push(`${controller.name}.${name}`);
    }
  }
  if (missing.length)
    throw new Error(`Write routes without @JsonBody(...) or @NoBody(): ${missing.join(', ')}`);
}
