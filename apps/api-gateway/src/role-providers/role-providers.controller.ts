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
import type { Prisma, RoleProvider } from '@vellum/db';
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
import { ROLE_PROVIDER_TYPES, RoleProviderBodyDto } from './role-provider.dto';
import { ROLE_PROVIDER_FIELDS, ROLE_PROVIDER_READ_ONLY } from './role-provider.fields';
import { RoleProvidersRepository } from './role-providers.repository';
import { RoleProvidersService } from './role-providers.service';

/** Role provider bodies: unknown fields → 400 globally; the service validates the rest (OIDC fields, mapped roles). */
const BODY = { readOnly: ROLE_PROVIDER_READ_ONLY, validate: false } as const;

/**
 * A customer's role providers (issue 10, SPEC.md §3.3 "Access control") at `C/roleProviders[/{name}]`: who
 * decides the roles an access service grants (clickthrough, the built-in `C/users`, or an OpenID Connect
 * provider whose claim values map to roles). The OIDC client secret is write-only.
 */
@ApiTags('access control')
@ApiBasicAuth()
@Controller('customers/:customer/roleProviders')
@UseGuards(ApiKeyGuard)
export class RoleProvidersController {
  constructor(
    private readonly service: RoleProvidersService,
    private readonly repo: RoleProvidersRepository,
    private readonly links: Links,
  ) {}

  @Get()
  @ApiCollection(ROLE_PROVIDER_FIELDS)
  @ApiOperation({
    summary: "The customer's role providers (paged; filters name, type; orderBy name, created, modified)",
  })
  list(@CurrentCustomer() c: CustomerRef, @Req() req: Request, @Query() query: Record<string, unknown>) {
    return listPage(
      this.links.request(req.originalUrl),
      filtersByName(query, c, {}, { type: ROLE_PROVIDER_TYPES }),
      ROLE_PROVIDER_FIELDS,
      (where, paging) => this.repo.page(c.id, where as Prisma.RoleProviderWhereInput, paging),
      (r) => this.render(r),
    );
  }

  @Post()
  @JsonBody(RoleProviderBodyDto, BODY)
  @ApiResource(ROLE_PROVIDER_FIELDS, 201)
  @ApiOperation({
    summary:
      'Create a role provider: name, type (clickthrough, builtin, oidc; oidc: issuer, clientId, clientSecret, claim, scopes, roleMapping); name taken → 409',
  })
  async create(
    @CurrentCustomer() c: CustomerRef,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const row = await this.service.create(c, body);
    res.status(201).setHeader('Location', this.links.roleProvider(c.id, row.name));
    return this.render(row);
  }

  @Get(':name')
  @ApiResource(ROLE_PROVIDER_FIELDS)
  @ApiOperation({ summary: 'A role provider (clientSecret rendered "xxx")' })
  async get(@CurrentCustomer() c: CustomerRef, @Param('name') name: string) {
    return this.render(await this.service.get(c.id, name));
  }

  @Put(':name')
  @JsonBody(RoleProviderBodyDto, { ...BODY, partial: true })
  @ApiResource(ROLE_PROVIDER_FIELDS)
  @ApiResource(ROLE_PROVIDER_FIELDS, 201)
  @ApiOperation({
    summary:
      'Create the role provider at this name (201) or replace it (200; clientSecret "xxx" keeps the stored one)',
  })
  async put(
    @CurrentCustomer() c: CustomerRef,
    @Param('name') name: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { row, created } = await this.service.put(c, name, body);
    if (created) res.status(201).setHeader('Location', this.links.roleProvider(c.id, row.name));
    return this.render(row);
  }

  @Patch(':name')
  @JsonBody(RoleProviderBodyDto, { ...BODY, partial: true })
  @ApiResource(ROLE_PROVIDER_FIELDS)
  @ApiOperation({ summary: 'Change the supplied fields of a role provider (the name cannot change)' })
  async patch(@CurrentCustomer() c: CustomerRef, @Param('name') name: string, @Body() body: unknown) {
    return this.render(await this.service.patch(c, name, body));
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiNoContent()
  @ApiOperation({ summary: 'Delete a role provider (409 while an access service names it)' })
  async remove(@CurrentCustomer() c: CustomerRef, @Param('name') name: string): Promise<void> {
    await this.service.remove(c.id, name);
  }

  private render(r: RoleProvider) {
    return {
      '@context': DLCS_CONTEXT,
      '@id': this.links.roleProvider(r.customerId, r.name),
      '@type': ROLE_PROVIDER_FIELDS.type,
      ...ROLE_PROVIDER_FIELDS.present(r, this.links),
    };
  }
}
