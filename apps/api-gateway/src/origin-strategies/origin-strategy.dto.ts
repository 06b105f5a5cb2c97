import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt32 } from '@vellum/common';
import {
  CREDENTIALS_LIMITS,
  ORIGIN_STRATEGY_TYPES,
  originStrategyType,
  REGEX_MAX_LENGTH,
  regexProblem,
  type OriginStrategyName,
} from '@vellum/secrets';
import { IsBoolean, IsOptional, ValidateBy } from 'class-validator';

const NAMES = ORIGIN_STRATEGY_TYPES.map((t) => t.name);

/**
 * The type name a `strategy` value stands for: a name, or the URL of a type as rendered
 * (`.../originStrategies/{name}`, so a resource read can be sent back). Undefined for anything else.
 */
export function strategyNameOf(value: unknown): OriginStrategyName | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^https?:\/\/[^/?#]+(?:\/[^?#]*)?\/originStrategies\/([^/?#]+)$/.exec(value);
  const name = m ? m[1] : value;
  return originStrategyType(name)?.name;
}

const CheckedBy = (name: string, problem: (v: unknown) => string | null): PropertyDecorator =>
  ValidateBy({
    name,
    validator: {
      validate: (v: unknown) => problem(v) === null,
      defaultMessage: (args) => problem(args?.value) ?? `${name} failed`,
    },
  });

/**
 * The body of `POST` and `PUT C/originStrategies[/{id}]` (SPEC.md §3.3 "Origin strategies"). Its keys are the
 * field table's `writable` (a unit test checks). The checks that depend on the strategy (credentials required or
 * refused and their shape, `optimised` only for s3-ambient) are made by the service, on the resulting rule.
 */
export class OriginStrategyBodyDto {
  @ApiProperty({
    description: `The strategy type: ${NAMES.join(', ')} (or the URL of the type)`,
    example: 'basic-http-authentication',
  })
  @CheckedBy('isOriginStrategy', (v) =>
    strategyNameOf(v) ? null : `strategy must be one of ${NAMES.join(', ')}`,
  )
  strategy!: string;

  @ApiProperty({
    description: `A JavaScript regular expression matched anywhere in the origin (≤ ${REGEX_MAX_LENGTH} characters), unique per customer`,
    example: 'https?://images\\.example\\.org/',
    maxLength: REGEX_MAX_LENGTH,
  })
  @CheckedBy('isOriginRegex', regexProblem)
  regex!: string;

  @ApiPropertyOptional({
    description:
      'Write-only JSON-encoded string: {"user","password"} for basic-http-authentication and ftp; sftp: {"user","password"} or {"user","privateKey"[,"passphrase"]}. Refused for default and s3-ambient. "xxx" (what responses show) keeps the stored value.',
    example: '{"user":"reader","password":"secret"}',
    maxLength: CREDENTIALS_LIMITS.text,
  })
  @IsOptional()
  @CheckedBy('isCredentialsText', (v) =>
    typeof v !== 'string'
      ? 'credentials must be a JSON-encoded string'
      : v.length > CREDENTIALS_LIMITS.text
        ? `credentials must be at most ${CREDENTIALS_LIMITS.text} characters`
        : null,
  )
  credentials?: string;

  @ApiPropertyOptional({ description: 's3-ambient only; default false' })
  @IsOptional()
  @IsBoolean({ message: 'optimised must be true or false' })
  optimised?: boolean;

  @ApiPropertyOptional({ description: 'Evaluation order (ascending); default 0', type: 'integer' })
  @IsOptional()
  @IsInt32()
  order?: number;
}
