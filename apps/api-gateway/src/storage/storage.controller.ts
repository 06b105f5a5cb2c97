import { Controller, Get, Param, Put, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { AdminOnly, CurrentCustomer } from '../auth/decorators';
import type { CustomerRef } from '../auth/principal';
import { JsonBody, ValidBody } from '../http/body-contract';
import { ApiResource } from '../resource/openapi';
import { parseSpaceId } from '../spaces/spaces.controller';
import { CUSTOMER_STORAGE_FIELDS, IMAGE_STORAGE_FIELDS } from './storage.fields';
import { StoragePresenter } from './storage.presenter';
import { AssignStoragePolicyDto } from './storage-policy.dto';
import { StorageService } from './storage.service';

/**
 * Storage records (SPEC.md §3.3 "Storage", §8): the totals of a customer and of a space (`vocab:CustomerStorage`),
 * the storage of one asset (`vocab:ImageStorage`), and the assignment of a customer's storage policy (admin).
 */
@ApiTags('storage')
@ApiBasicAuth()
@Controller('customers/:customer')
@UseGuards(ApiKeyGuard)
export class StorageController {
  constructor(
    private readonly storage: StorageService,
    private readonly presenter: StoragePresenter,
  ) {}

  @Get('storage')
  @ApiResource(CUSTOMER_STORAGE_FIELDS)
  @ApiOperation({ summary: "The customer's storage totals and its storage policy" })
  async customer(@CurrentCustomer() c: CustomerRef) {
    return this.presenter.usage(await this.storage.usage(c.id));
  }

  @Put('storagePolicy')
  @AdminOnly()
  @JsonBody(AssignStoragePolicyDto, { description: '{"storagePolicy": <policy @id or id>}' })
  @ApiResource(CUSTOMER_STORAGE_FIELDS, 200, "The customer's storage, with its new storagePolicy link")
  @ApiOperation({ summary: "Assign the customer's storage policy (admin)" })
  async assign(@CurrentCustomer() c: CustomerRef, @ValidBody() dto: AssignStoragePolicyDto) {
    return this.presenter.usage(await this.storage.assign(c.id, dto.storagePolicy));
  }

  @Get('spaces/:space/storage')
  @ApiResource(CUSTOMER_STORAGE_FIELDS)
  @ApiOperation({ summary: "A space's storage totals" })
  async space(@CurrentCustomer() c: CustomerRef, @Param('space') rawSpace: string) {
    return this.presenter.usage(await this.storage.usage(c.id, parseSpaceId(rawSpace)));
  }

  @Get('spaces/:space/images/:id/storage')
  @ApiResource(IMAGE_STORAGE_FIELDS)
  @ApiOperation({
    summary: "An asset's storage (bytes of its derivatives and kept original, of its thumbnails)",
  })
  async asset(@CurrentCustomer() c: CustomerRef, @Param('space') rawSpace: string, @Param('id') id: string) {
    return this.presenter.asset(await this.storage.asset(c.id, parseSpaceId(rawSpace), id));
  }
}
