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
import type { AccessService, Prisma } from '@vellum/db';
import type { Request, Response } from 'express';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCustomer } from '../auth/decorators';
import type { CustomerRef } from '../auth/principal';
import { JsonBody } from '../http/body-contract';
import { DLCS_CONTEXT } from '../http/json-ld';
import { Links } from '../http/links.service';
import { listPage } from '../resource/list-page';
import { filtersByName } from '../roles/access-control';
import { ApiCollection, ApiNoContent, ApiResource } from '../resource/openapi';
import { ACCESS_SERVICE_PROFILES, AccessServiceBodyDto } from './access-service.dto';
import { ACCESS_SERVICE_FIELDS, ACCESS_SERVICE_READ_ONLY } from './access-service.fields';
import { AccessServicesRepository } from './access-services.repository';
import { AccessServicesService } from './access-services.service';

/** Access service bodies: unknown fields → 400 globally; the service validates the rest (the role provider must exist). */
const BODY = { readOnly: ACCESS_SERVICE_READ_ONLY, validate: false } as const;

/**
 * A customer's IIIF Authorization Flow 2.0 access services (issue 10, SPEC.md §3.3 "Access control", §6) at
 * `C/accessServices[/{name}]`: what a viewer shows to let a user in (profile, language maps), served by
 * auth-service at each one's `service` URL; each grants its roles through one role provider.
 */
@ApiTags('access control')
@ApiBasicAuth()
@Controller('customers/:customer/accessServices')
@UseGuards(ApiKeyGuard)
export class AccessServicesController {
  constructor(
    private readonly service: AccessServicesService,
    private readonly repo: AccessServicesRepository,
    private readonly links: Links,
  ) {}

  @Get()
  @ApiCollection(ACCESS_SERVICE_FIELDS)
  @ApiOperation({
    summary:
      "The customer's access services (paged; filters name, profile, roleProvider; orderBy name, created, modified)",
  })
  list(@CurrentCustomer() c: CustomerRef, @Req() req: Request, @Query() query: Record<string, unknown>) {
    return listPage(
      this.links.request(req.originalUrl),
      filtersByName(
        query,
        c,
        { roleProvider: { collection: 'roleProviders' } },
        { profile: ACCESS_SERVICE_PROFILES },
      ),
      ACCESS_SERVICE_FIELDS,
      (where, paging) => this.repo.page(c.id, where as Prisma.AccessServiceWhereInput, paging),
      (r) => this.render(r),
    );
  }

  @Post()
  @JsonBody(AccessServiceBodyDto, BODY)
  @ApiResource(ACCESS_SERVICE_FIELDS, 201)
  @ApiOperation({
    summary:
      'Create an access service: name, label, optional profile (active), heading, note, confirmLabel, roleProvider (clickthrough); name taken → 409',
  })
  async create(
    @CurrentCustomer() c: CustomerRef,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const row = await this.service.create(c, body);
    res.status(201).setHeader('Location', this.links.accessService(c.id, row.name));
    return this.render(row);
  }

  @Get(':name')
  @ApiResource(ACCESS_SERVICE_FIELDS)
  @ApiOperation({ summary: 'An access service' })
  async get(@CurrentCustomer() c: CustomerRef, @Param('name') name: string) {
    return this.render(await this.service.get(c.id, name));
  }

  @Put(':name')
  @JsonBody(AccessServiceBodyDto, { ...BODY, partial: true })
  @ApiResource(ACCESS_SERVICE_FIELDS)
  @ApiResource(ACCESS_SERVICE_FIELDS, 201)
  @ApiOperation({
    summary: 'Create the access service at this name (201) or replace it (200; omitted fields → defaults)',
  })
  async put(
    @CurrentCustomer() c: CustomerRef,
    @Param('name') name: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { row, created } = await this.service.put(c, name, body);
    if (created) res.status(201).setHeader('Location', this.links.accessService(c.id, row.name));
    return this.render(row);
  }

  @Patch(':name')
  @JsonBody(AccessServiceBodyDto, { ...BODY, partial: true })
  @ApiResource(ACCESS_SERVICE_FIELDS)
  @ApiOperation({
    summary:
      'Change the supplied fields of an access service (null clears heading, note, confirmLabel; the name cannot change)',
  })
  async patch(@CurrentCustomer() c: CustomerRef, @Param('name') name: string, @Body() body: unknown) {
    return this.render(await this.service.patch(c, name, body));
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiNoContent()
  @ApiOperation({ summary: 'Delete an access service (409 while a role names it)' })
  async remove(@CurrentCustomer() c: CustomerRef, @Param('name') name: string): Promise<void> {
    await this.service.remove(c.id, name);
  }

  private render(r: AccessService) {
    return {
      '@context': DLCS_CONTEXT,
      '@id': this.links.accessService(r.customerId, r.name),
      '@type': ACCESS_SERVICE_FIELDS.type,
      ...ACCESS_SERVICE_FIELDS.present(r, this.links),
    };
  }
}
