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
import type { DeliveryChannelPolicy } from '@vellum/db';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCustomer } from '../auth/decorators';
import type { CustomerRef } from '../auth/principal';
import { JsonBody } from '../http/body-contract';
import { hydraCollection } from '../http/hydra';
import { DLCS_CONTEXT } from '../http/json-ld';
import { Links } from '../http/links.service';
import { listPage } from '../resource/list-page';
import {
  ApiCollection,
  ApiNoContent,
  ApiResource,
  ApiShape,
  collectionSchema,
  registerSchema,
} from '../resource/openapi';
import { DeliveryChannelPoliciesRepository } from './delivery-channel-policies.repository';
import { DeliveryChannelPoliciesService } from './delivery-channel-policies.service';
import { DeliveryChannelPolicyBodyDto } from './policy-body.dto';
import { POLICY_CHANNEL_TITLES, POLICY_CHANNELS } from './policy-data';
import { POLICY_FIELDS, POLICY_READ_ONLY } from './policy.fields';

/** Policy bodies: unknown fields → 400 globally; the service validates the rest against the URL's channel. */
const POLICY_BODY = { readOnly: POLICY_READ_ONLY, validate: false } as const;

const CHANNEL_COLLECTIONS = registerSchema(
  'DeliveryChannelPolicyCollections',
  collectionSchema({
    type: 'object',
    description: 'The policy collection of one delivery channel',
    properties: {
      '@id': { type: 'string', format: 'uri' },
      '@type': { type: 'string', enum: ['Collection'] },
      title: { type: 'string' },
    },
  }),
);

/**
 * Delivery channel policies of a customer (SPEC.md §1, §3.3), at `C/deliveryChannelPolicies[/{channel}[/{name}]]`:
 * the customer's own `thumbs` and `iiif-av` policies and the platform's shared system policies (listed and
 * readable, never changed).
 */
@ApiTags('delivery channels')
@ApiBasicAuth()
@Controller('customers/:customer/deliveryChannelPolicies')
@UseGuards(ApiKeyGuard)
export class DeliveryChannelPoliciesController {
  constructor(
    private readonly service: DeliveryChannelPoliciesService,
    private readonly repo: DeliveryChannelPoliciesRepository,
    private readonly links: Links,
  ) {}

  @Get()
  @ApiShape(200, 'One policy collection per delivery channel', { $ref: CHANNEL_COLLECTIONS })
  @ApiOperation({ summary: 'The policy collections, one per channel: iiif-img, thumbs, iiif-av, file' })
  channels(@CurrentCustomer() c: CustomerRef, @Req() req: Request) {
    const members = POLICY_CHANNELS.map((channel) => ({
      '@id': this.links.deliveryChannelPolicyChannel(c.id, channel),
      '@type': 'Collection',
      title: POLICY_CHANNEL_TITLES[channel],
    }));
    return hydraCollection(this.links.request(req.originalUrl), members, members.length, {
      page: 1,
      pageSize: members.length,
    });
  }

  @Get(':channel')
  @ApiCollection(POLICY_FIELDS)
  @ApiOperation({
    summary:
      "The policies of one channel: the customer's own and the system ones (paged; orderBy name, displayName, created, modified)",
  })
  list(
    @CurrentCustomer() c: CustomerRef,
    @Param('channel') rawChannel: string,
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
  ) {
    const channel = this.service.channelOf(rawChannel);
    return listPage(
      this.links.request(req.originalUrl),
      query,
      POLICY_FIELDS,
      (_where, paging) => this.repo.pageVisible(c.id, channel, paging),
      (p) => this.render(c.id, p),
    );
  }

  @Post(':channel')
  @JsonBody(DeliveryChannelPolicyBodyDto, POLICY_BODY)
  @ApiResource(POLICY_FIELDS, 201)
  @ApiOperation({
    summary: 'Create a thumbs or iiif-av policy: name, displayName, policyData (409 when the name is taken)',
  })
  async create(
    @CurrentCustomer() c: CustomerRef,
    @Param('channel') rawChannel: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const channel = this.service.channelOf(rawChannel);
    const policy = await this.service.create(c.id, channel, body);
    res.status(201).setHeader('Location', this.links.deliveryChannelPolicy(c.id, channel, policy.name));
    return this.render(c.id, policy);
  }

  @Get(':channel/:name')
  @ApiResource(POLICY_FIELDS)
  @ApiOperation({ summary: "A policy (the customer's own, or a system one)" })
  async get(
    @CurrentCustomer() c: CustomerRef,
    @Param('channel') rawChannel: string,
    @Param('name') name: string,
  ) {
    const channel = this.service.channelOf(rawChannel);
    return this.render(c.id, await this.service.get(c.id, channel, name));
  }

  @Put(':channel/:name')
  @JsonBody(DeliveryChannelPolicyBodyDto, POLICY_BODY)
  @ApiResource(POLICY_FIELDS, 201)
  @ApiResource(POLICY_FIELDS, 200, 'Replaced')
  @ApiOperation({
    summary: 'Create (201) or replace (200) a thumbs or iiif-av policy; system policies → 403',
  })
  async put(
    @CurrentCustomer() c: CustomerRef,
    @Param('channel') rawChannel: string,
    @Param('name') name: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const channel = this.service.channelOf(rawChannel);
    const { policy, created } = await this.service.put(c.id, channel, name, body);
    if (created) res.status(201).setHeader('Location', this.links.deliveryChannelPolicy(c.id, channel, name));
    else res.status(200);
    return this.render(c.id, policy);
  }

  @Patch(':channel/:name')
  @JsonBody(DeliveryChannelPolicyBodyDto, { ...POLICY_BODY, partial: true })
  @ApiResource(POLICY_FIELDS)
  @ApiOperation({ summary: 'Change the supplied displayName and/or policyData of a policy' })
  async patch(
    @CurrentCustomer() c: CustomerRef,
    @Param('channel') rawChannel: string,
    @Param('name') name: string,
    @Body() body: unknown,
  ) {
    const channel = this.service.channelOf(rawChannel);
    return this.render(c.id, await this.service.patch(c.id, channel, name, body));
  }

  @Delete(':channel/:name')
  @HttpCode(204)
  @ApiNoContent()
  @ApiOperation({
    summary: 'Delete a policy (409 while an asset or a default delivery channel rule names it)',
  })
  async remove(
    @CurrentCustomer() c: CustomerRef,
    @Param('channel') rawChannel: string,
    @Param('name') name: string,
  ): Promise<void> {
    const channel = this.service.channelOf(rawChannel);
    await this.service.remove(c.id, channel, name);
  }

  /** `vocab:DeliveryChannelPolicy`, at the customer's URL whoever owns it (system policies resolve there too). */
  private render(customerId: number, p: DeliveryChannelPolicy) {
    return {
      '@context': DLCS_CONTEXT,
      '@id': this.links.deliveryChannelPolicy(customerId, p.channel, p.name),
      '@type': POLICY_FIELDS.type,
      ...POLICY_FIELDS.present(p, this.links),
    };
  }
}
