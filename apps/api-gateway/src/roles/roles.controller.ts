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
import type { Prisma, Role } from '@vellum/db';
import type { Request, Response } from 'express';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCustomer } from '../auth/decorators';
import type { CustomerRef } from '../auth/principal';
import { JsonBody } from '../http/body-contract';
import { DLCS_CONTEXT } from '../http/json-ld';
import { Links } from '../http/links.service';
import { listPage } from '../resource/list-page';
import { filtersByName } from './access-control';
import { ApiCollection, ApiNoContent, ApiResource } from '../resource/openapi';
import { RoleBodyDto } from './role.dto';
import { ROLE_FIELDS, ROLE_READ_ONLY } from './role.fields';
import { RolesRepository } from './roles.repository';
import { RolesService } from './roles.service';

/** Role bodies: unknown fields → 400 globally; the service validates the rest (the access service must exist). */
const BODY = { readOnly: ROLE_READ_ONLY, validate: false } as const;

/**
 * A customer's roles (issue 10, SPEC.md §3.3 "Access control", §6) at `C/roles[/{name}]`: what assets, space
 * defaults, custom headers and users name (by the role's URI or name), each granted by one access service.
 */
@ApiTags('access control')
@ApiBasicAuth()
@Controller('customers/:customer/roles')
@UseGuards(ApiKeyGuard)
export class RolesController {
  constructor(
    private readonly service: RolesService,
    private readonly repo: RolesRepository,
    private readonly links: Links,
  ) {}

  @Get()
  @ApiCollection(ROLE_FIELDS)
  @ApiOperation({
    summary: "The customer's roles (paged; filters name, accessService; orderBy name, created, modified)",
  })
  list(@CurrentCustomer() c: CustomerRef, @Req() req: Request, @Query() query: Record<string, unknown>) {
    return listPage(
      this.links.request(req.originalUrl),
      filtersByName(query, c, { accessService: { collection: 'accessServices' } }),
      ROLE_FIELDS,
      (where, paging) => this.repo.page(c.id, where as Prisma.RoleWhereInput, paging),
      (r) => this.render(r),
    );
  }

  @Post()
  @JsonBody(RoleBodyDto, BODY)
  @ApiResource(ROLE_FIELDS, 201)
  @ApiOperation({
    summary: 'Create a role: name, label, optional accessService (default clickthrough); name taken → 409',
  })
  async create(
    @CurrentCustomer() c: CustomerRef,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const row = await this.service.create(c, body);
    res.status(201).setHeader('Location', this.links.role(c.id, row.name));
    return this.render(row);
  }

  @Get(':name')
  @ApiResource(ROLE_FIELDS)
  @ApiOperation({ summary: 'A role' })
  async get(@CurrentCustomer() c: CustomerRef, @Param('name') name: string) {
    return this.render(await this.service.get(c.id, name));
  }

  @Put(':name')
  @JsonBody(RoleBodyDto, { ...BODY, partial: true })
  @ApiResource(ROLE_FIELDS)
  @ApiResource(ROLE_FIELDS, 201)
  @ApiOperation({
    summary: 'Create the role at this name (201) or replace it (200; accessService omitted → clickthrough)',
  })
  async put(
    @CurrentCustomer() c: CustomerRef,
    @Param('name') name: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { row, created } = await this.service.put(c, name, body);
    if (created) res.status(201).setHeader('Location', this.links.role(c.id, row.name));
    return this.render(row);
  }

  @Patch(':name')
  @JsonBody(RoleBodyDto, { ...BODY, partial: true })
  @ApiResource(ROLE_FIELDS)
  @ApiOperation({ summary: 'Change the supplied fields of a role (the name cannot change)' })
  async patch(@CurrentCustomer() c: CustomerRef, @Param('name') name: string, @Body() body: unknown) {
    return this.render(await this.service.patch(c, name, body));
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiNoContent()
  @ApiOperation({
    summary: 'Delete a role (409 while an asset, space, user, custom header or role mapping names it)',
  })
  async remove(@CurrentCustomer() c: CustomerRef, @Param('name') name: string): Promise<void> {
    await this.service.remove(c.id, name);
  }

  private render(r: Role) {
    return {
      '@context': DLCS_CONTEXT,
      '@id': this.links.role(r.customerId, r.name),
      '@type': ROLE_FIELDS.type,
      ...ROLE_FIELDS.present(r, this.links),
    };
  }
}
