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
import type { AuthUser, Prisma } from '@vellum/db';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCustomer } from '../auth/decorators';
import type { CustomerRef } from '../auth/principal';
import { JsonBody } from '../http/body-contract';
import { DLCS_CONTEXT } from '../http/json-ld';
import { Links } from '../http/links.service';
import { listPage } from '../resource/list-page';
import { filtersByName } from '../roles/access-control';
import { ApiCollection, ApiNoContent, ApiResource } from '../resource/openapi';
import { UserBodyDto } from './user.dto';
import { USER_FIELDS, USER_READ_ONLY } from './user.fields';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

/** User bodies: unknown fields → 400 globally; the service validates the rest (roles must exist). */
const USER_BODY = { readOnly: USER_READ_ONLY, validate: false } as const;

/**
 * The accounts of a customer's built-in role provider (issue 10, SPEC.md §3.3 `C/users`) at `C/users[/{id}]`:
 * username, write-only password, the roles granted on login, enabled. auth-service checks them on login.
 */
@ApiTags('access control')
@ApiBasicAuth()
@Controller('customers/:customer/users')
@UseGuards(ApiKeyGuard)
export class UsersController {
  constructor(
    private readonly service: UsersService,
    private readonly repo: UsersRepository,
    private readonly links: Links,
  ) {}

  @Get()
  @ApiCollection(USER_FIELDS)
  @ApiOperation({
    summary:
      "The customer's built-in accounts (paged; filters username, roles, enabled; orderBy username, created, modified)",
  })
  list(@CurrentCustomer() c: CustomerRef, @Req() req: Request, @Query() query: Record<string, unknown>) {
    return listPage(
      this.links.request(req.originalUrl),
      filtersByName(
        typeof query.username === 'string' ? { ...query, username: query.username.toLowerCase() } : query,
        c,
        { roles: { collection: 'roles', list: true } },
      ),
      USER_FIELDS,
      (where, paging) => this.repo.page(c.id, where as Prisma.AuthUserWhereInput, paging),
      (h) => this.render(h),
    );
  }

  @Post()
  @JsonBody(UserBodyDto, USER_BODY)
  @ApiResource(USER_FIELDS, 201)
  @ApiOperation({
    summary: 'Create a built-in account: username (409 when taken), password (≥ 8), roles, enabled',
  })
  async create(
    @CurrentCustomer() c: CustomerRef,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const user = await this.service.create(c.id, body);
    res.status(201).setHeader('Location', this.links.user(c.id, user.id));
    return this.render(user);
  }

  @Get(':id')
  @ApiResource(USER_FIELDS)
  @ApiOperation({ summary: 'A built-in account (the password is never rendered)' })
  async get(@CurrentCustomer() c: CustomerRef, @Param('id') id: string) {
    return this.render(await this.service.get(c.id, id));
  }

  @Put(':id')
  @JsonBody(UserBodyDto, USER_BODY)
  @ApiResource(USER_FIELDS)
  @ApiOperation({
    summary:
      'Replace an account (password omitted → kept, roles → none, enabled → true; an unknown id → 404)',
  })
  async put(@CurrentCustomer() c: CustomerRef, @Param('id') id: string, @Body() body: unknown) {
    return this.render(await this.service.replace(c.id, id, body));
  }

  @Patch(':id')
  @JsonBody(UserBodyDto, { ...USER_BODY, partial: true })
  @ApiResource(USER_FIELDS)
  @ApiOperation({ summary: 'Change the supplied fields of an account' })
  async patch(@CurrentCustomer() c: CustomerRef, @Param('id') id: string, @Body() body: unknown) {
    return this.render(await this.service.patch(c.id, id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContent()
  @ApiOperation({ summary: 'Delete an account' })
  async remove(@CurrentCustomer() c: CustomerRef, @Param('id') id: string): Promise<void> {
    await this.service.remove(c.id, id);
  }

  private render(h: AuthUser) {
    return {
      '@context': DLCS_CONTEXT,
      '@id': this.links.user(h.customerId, h.id),
      '@type': USER_FIELDS.type,
      ...USER_FIELDS.present(h, this.links),
    };
  }
}
