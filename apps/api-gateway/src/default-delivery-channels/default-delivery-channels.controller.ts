import {
  Body,
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
import type { DefaultDeliveryChannel, Prisma } from '@vellum/db';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCustomer } from '../auth/decorators';
import type { CustomerRef } from '../auth/principal';
import { JsonBody } from '../http/body-contract';
import { DLCS_CONTEXT } from '../http/json-ld';
import { Links } from '../http/links.service';
import { notFound } from '../http/problems';
import { listPage } from '../resource/list-page';
import { ApiCollection, ApiNoContent, ApiResource } from '../resource/openapi';
import { parseSpaceId } from '../spaces/spaces.controller';
import { SpacesService } from '../spaces/spaces.service';
import { DefaultDeliveryChannelBodyDto } from './default-delivery-channel-body.dto';
import { DEFAULT_CHANNEL_FIELDS } from './default-delivery-channel.fields';
import { DefaultDeliveryChannelsRepository } from './default-delivery-channels.repository';
import { DefaultDeliveryChannelsService } from './default-delivery-channels.service';

/** Rule bodies: unknown fields → 400 globally; the service validates the rest (the policy needs the database). */
const RULE_BODY = { validate: false } as const;

/**
 * Default delivery channel rules (SPEC.md §1, §3.3), the customer's at `C/defaultDeliveryChannels` and a space's
 * at `C/spaces/{s}/defaultDeliveryChannels`: `GET` list, `POST`, `GET/PUT/DELETE .../{id}`. A space's rules beat
 * the customer's for assets created in that space.
 */
@ApiTags('delivery channels')
@ApiBasicAuth()
@Controller([
  'customers/:customer/defaultDeliveryChannels',
  'customers/:customer/spaces/:space/defaultDeliveryChannels',
])
@UseGuards(ApiKeyGuard)
export class DefaultDeliveryChannelsController {
  constructor(
    private readonly service: DefaultDeliveryChannelsService,
    private readonly repo: DefaultDeliveryChannelsRepository,
    private readonly spaces: SpacesService,
    private readonly links: Links,
  ) {}

  @Get()
  @ApiCollection(DEFAULT_CHANNEL_FIELDS)
  @ApiOperation({
    summary:
      'The default delivery channel rules of the customer or of a space (paged; filters channel, mediaType)',
  })
  async list(
    @CurrentCustomer() c: CustomerRef,
    @Param('space') rawSpace: string | undefined,
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
  ) {
    const spaceId = await this.scope(c, rawSpace);
    const own = await this.service.ownPolicies(c.id);
    return listPage(
      this.links.request(req.originalUrl),
      query,
      DEFAULT_CHANNEL_FIELDS,
      (where, paging) =>
        this.repo.pageIn(c.id, spaceId, where as Prisma.DefaultDeliveryChannelWhereInput, paging),
      (r) => this.render(r, own),
    );
  }

  @Post()
  @JsonBody(DefaultDeliveryChannelBodyDto, RULE_BODY)
  @ApiResource(DEFAULT_CHANNEL_FIELDS, 201)
  @ApiOperation({
    summary:
      'Add a rule: mediaType glob → channel + policy (409 when the scope has one for that mediaType and channel)',
  })
  async create(
    @CurrentCustomer() c: CustomerRef,
    @Param('space') rawSpace: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const spaceId = await this.scope(c, rawSpace);
    const rule = await this.service.create(c.id, spaceId, body);
    res.status(201).setHeader('Location', this.links.defaultDeliveryChannel(c.id, spaceId, rule.id));
    return this.render(rule, await this.service.ownPolicies(c.id));
  }

  @Get(':id')
  @ApiResource(DEFAULT_CHANNEL_FIELDS)
  @ApiOperation({ summary: 'A default delivery channel rule' })
  async get(
    @CurrentCustomer() c: CustomerRef,
    @Param('space') rawSpace: string | undefined,
    @Param('id') id: string,
  ) {
    const spaceId = await this.scope(c, rawSpace);
    return this.render(await this.service.get(c.id, spaceId, id), await this.service.ownPolicies(c.id));
  }

  @Put(':id')
  @JsonBody(DefaultDeliveryChannelBodyDto, RULE_BODY)
  @ApiResource(DEFAULT_CHANNEL_FIELDS)
  @ApiOperation({ summary: 'Replace a rule (all three fields; an unknown rule → 404)' })
  async put(
    @CurrentCustomer() c: CustomerRef,
    @Param('space') rawSpace: string | undefined,
    @Param('id') id: string,
    @Body() body: unknown,
  ) {
    const spaceId = await this.scope(c, rawSpace);
    const rule = await this.service.replace(c.id, spaceId, id, body);
    return this.render(rule, await this.service.ownPolicies(c.id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContent()
  @ApiOperation({ summary: 'Delete a rule' })
  async remove(
    @CurrentCustomer() c: CustomerRef,
    @Param('space') rawSpace: string | undefined,
    @Param('id') id: string,
  ): Promise<void> {
    await this.service.remove(c.id, await this.scope(c, rawSpace), id);
  }

  /** The scope of the route: 0 for the customer's rules, else the space id. @throws 404 for an unknown space. */
  private async scope(c: CustomerRef, rawSpace: string | undefined): Promise<number> {
    if (rawSpace === undefined) return 0;
    const spaceId = parseSpaceId(rawSpace);
    if (!(await this.spaces.exists(c.id, spaceId))) throw notFound(`Space ${spaceId} not found.`);
    return spaceId;
  }

  private render(r: DefaultDeliveryChannel, ownPolicies: ReadonlySet<string>) {
    return {
      '@context': DLCS_CONTEXT,
      '@id': this.links.defaultDeliveryChannel(r.customerId, r.spaceId, r.id),
      '@type': DEFAULT_CHANNEL_FIELDS.type,
      ...DEFAULT_CHANNEL_FIELDS.present(r, { links: this.links, ownPolicies }),
    };
  }
}
