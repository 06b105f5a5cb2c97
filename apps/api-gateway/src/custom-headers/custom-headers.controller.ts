import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiBasicAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { CustomHeader, Prisma } from '@vellum/db';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCustomer } from '../auth/decorators';
import type { CustomerRef } from '../auth/principal';
import { JsonBody } from '../http/body-contract';
import { DLCS_CONTEXT } from '../http/json-ld';
import { Links } from '../http/links.service';
import { listPage } from '../resource/list-page';
import { filtersByName } from '../roles/access-control';
import { ApiCollection, ApiNoContent, ApiResource } from '../resource/openapi';
import { CustomHeaderBodyDto } from './custom-header-body.dto';
import { CUSTOM_HEADER_FIELDS, CUSTOM_HEADER_READ_ONLY } from './custom-header.fields';
import { CustomHeadersRepository } from './custom-headers.repository';
import { CustomHeadersService } from './custom-headers.service';

/** Header bodies: unknown fields → 400 globally; the service validates the rest (a space must exist). */
const HEADER_BODY = { readOnly: CUSTOM_HEADER_READ_ONLY, validate: false } as const;

/**
 * A customer's custom headers (SPEC.md §3.3 "Custom headers", §5) at `C/customHeaders[/{id}]`: HTTP headers that
 * iiif-delivery adds to the image responses (info.json, tiles, thumbnails) of the customer's assets, by precedence
 * customer-wide → space → role → space+role.
 */
@ApiTags('custom headers')
@ApiBasicAuth()
@Controller('customers/:customer/customHeaders')
@UseGuards(ApiKeyGuard)
export class CustomHeadersController {
  constructor(
    private readonly service: CustomHeadersService,
    private readonly repo: CustomHeadersRepository,
    private readonly links: Links,
  ) {}

  @Get()
  @ApiCollection(CUSTOM_HEADER_FIELDS)
  @ApiOperation({
    summary: "The customer's custom headers (paged; filters key, space, role; orderBy key, space, created)",
  })
  list(@CurrentCustomer() c: CustomerRef, @Req() req: Request, @Query() query: Record<string, unknown>) {
    return listPage(
      this.links.request(req.originalUrl),
      filtersByName(query, c, { role: { collection: 'roles' } }),
      CUSTOM_HEADER_FIELDS,
      (where, paging) => this.repo.page(c.id, where as Prisma.CustomHeaderWhereInput, paging),
      (h) => this.render(h),
    );
  }

  @Post()
  @JsonBody(CustomHeaderBodyDto, HEADER_BODY)
  @ApiResource(CUSTOM_HEADER_FIELDS, 201)
  @ApiOperation({
    summary: 'Add a custom header: key, value, optional space and role (409 for the same key and scope)',
  })
  async create(
    @CurrentCustomer() c: CustomerRef,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const header = await this.service.create(c.id, body);
    res.status(201).setHeader('Location', this.links.customHeader(c.id, header.id));
    return this.render(header);
  }

  @Get(':id')
  @ApiResource(CUSTOM_HEADER_FIELDS)
  @ApiOperation({ summary: 'A custom header' })
  async get(@CurrentCustomer() c: CustomerRef, @Param('id') id: string) {
    return this.render(await this.service.get(c.id, id));
  }

  @Put(':id')
  @JsonBody(CustomHeaderBodyDto, HEADER_BODY)
  @ApiResource(CUSTOM_HEADER_FIELDS)
  @ApiOperation({ summary: 'Replace a custom header (space and role omitted → none; an unknown id → 404)' })
  async put(@CurrentCustomer() c: CustomerRef, @Param('id') id: string, @Body() body: unknown) {
    return this.render(await this.service.replace(c.id, id, body));
  }

  @Patch(':id')
  @JsonBody(CustomHeaderBodyDto, { ...HEADER_BODY, partial: true })
  @ApiResource(CUSTOM_HEADER_FIELDS)
  @ApiOperation({ summary: 'Change the supplied fields of a custom header (null clears space or role)' })
  async patch(@CurrentCustomer() c: CustomerRef, @Param('id') id: string, @Body() body: unknown) {
    return this.render(await this.service.patch(c.id, id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContent()
  @ApiOperation({ summary: 'Delete a custom header' })
  async remove(@CurrentCustomer() c: CustomerRef, @Param('id') id: string): Promise<void> {
    await this.service.remove(c.id, id);
  }

  private render(h: CustomHeader) {
    return {
      '@context': DLCS_CONTEXT,
      '@id': this.links.customHeader(h.customerId, h.id),
      '@type': CUSTOM_HEADER_FIELDS.type,
      ...CUSTOM_HEADER_FIELDS.present(h, this.links),
    };
  }
}
