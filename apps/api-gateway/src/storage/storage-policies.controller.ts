import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiBasicAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { AdminOnly, Public } from '../auth/decorators';
import { JsonBody, ValidBody } from '../http/body-contract';
import { Links } from '../http/links.service';
import { listPage } from '../resource/list-page';
import { ApiCollection, ApiNoContent, ApiResource } from '../resource/openapi';
import { STORAGE_POLICY_FIELDS } from './storage.fields';
import { StoragePresenter } from './storage.presenter';
import { StoragePoliciesRepository } from './storage-policies.repository';
import { STORAGE_POLICY_READ_ONLY, StoragePolicyBodyDto } from './storage-policy.dto';
import { StorageService } from './storage.service';

/**
 * Storage policies (SPEC.md §3.2, §3.3 "Storage", §8): public reads, admin writes. A policy's limits are the
 * quota its customers are held to (creates beyond them → 507).
 */
@ApiTags('storage')
@ApiBasicAuth()
@Controller('storagePolicies')
@UseGuards(ApiKeyGuard)
export class StoragePoliciesController {
  constructor(
    private readonly storage: StorageService,
    private readonly repo: StoragePoliciesRepository,
    private readonly presenter: StoragePresenter,
    private readonly links: Links,
  ) {}

  @Get()
  @Public()
  @ApiCollection(STORAGE_POLICY_FIELDS)
  @ApiOperation({ summary: 'Every storage policy (public; paged, ordered by id unless asked)' })
  list(@Req() req: Request, @Query() query: Record<string, unknown>) {
    return listPage(
      this.links.request(req.originalUrl),
      query,
      STORAGE_POLICY_FIELDS,
      (where, paging) => this.repo.page(where, paging),
      (p) => this.presenter.policy(p),
    );
  }

  @Get(':id')
  @Public()
  @ApiResource(STORAGE_POLICY_FIELDS)
  @ApiOperation({ summary: 'A storage policy (public)' })
  async get(@Param('id') id: string) {
    return this.presenter.policy(await this.storage.policy(id));
  }

  @Post()
  @AdminOnly()
  @HttpCode(201)
  @JsonBody(StoragePolicyBodyDto, { readOnly: STORAGE_POLICY_READ_ONLY })
  @ApiResource(STORAGE_POLICY_FIELDS, 201)
  @ApiOperation({ summary: 'Create a storage policy (admin): id and both limits required; id taken → 409' })
  async create(@ValidBody() dto: StoragePolicyBodyDto, @Res({ passthrough: true }) res: Response) {
    const policy = await this.storage.createPolicy(dto);
    res.setHeader('Location', this.links.storagePolicy(policy.id));
    return this.presenter.policy(policy);
  }

  @Put(':id')
  @AdminOnly()
  @JsonBody(StoragePolicyBodyDto, { readOnly: STORAGE_POLICY_READ_ONLY })
  @ApiResource(STORAGE_POLICY_FIELDS, 201)
  @ApiResource(STORAGE_POLICY_FIELDS, 200, 'Updated: the limits supplied changed')
  @ApiOperation({ summary: 'Create (201) or update (200) a storage policy (admin)' })
  async put(
    @Param('id') id: string,
    @ValidBody() dto: StoragePolicyBodyDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { policy, created } = await this.storage.putPolicy(id, dto);
    res.status(created ? 201 : 200);
    if (created) res.setHeader('Location', this.links.storagePolicy(policy.id));
    return this.presenter.policy(policy);
  }

  @Delete(':id')
  @AdminOnly()
  @HttpCode(204)
  @ApiNoContent()
  @ApiOperation({ summary: 'Delete a storage policy (admin); in use or `default` → 409' })
  async delete(@Param('id') id: string): Promise<void> {
    await this.storage.deletePolicy(id);
  }
}
