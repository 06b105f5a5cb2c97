import { applyDecorators } from '@nestjs/common';
import { ApiConsumes, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { AssetBodyDto } from '../asset-input';

/**
 * The body of `PUT`/`POST C/spaces/{s}/images[/{id}]` (SPEC.md §3.3): an asset, plus optionally its master file
 * instead of an `origin`. `file` is not an asset field (it is never stored or rendered): the upload reader takes it
 * out before the asset is validated.
 */
export class AssetUploadBodyDto extends AssetBodyDto {
  @ApiPropertyOptional({
    description:
      'The master file, instead of an origin: base64 (RFC 4648, standard alphabet) in JSON, or a file part ' +
      'named `file` in multipart/form-data (other fields as form fields: integers as decimal text, lists as JSON ' +
      'arrays). At most VELLUM_MAX_UPLOAD_BYTES decoded bytes (larger → 413). The asset then renders its origin ' +
      'as `vellum-store://{bucket}/{key}`, the stored copy.',
    format: 'byte',
  })
  @IsOptional()
  @IsString()
  file?: string;
}

/** Documents that a route takes JSON or `multipart/form-data` (an upload). */
export function ApiUploadBody(): MethodDecorator {
  return applyDecorators(ApiConsumes('application/json', 'multipart/form-data'));
}

/** `body` without its `file` member (for the asset body checks, which do not know it). */
export function withoutFile(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body) || !('file' in body)) return body;
  const { file: _file, ...rest } = body as Record<string, unknown>;
  return rest;
}
