-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "AssetFamily" AS ENUM ('I', 'T', 'F');

-- CreateEnum
CREATE TYPE "BatchMemberOutcome" AS ENUM ('pending', 'completed', 'error');

-- CreateTable
CREATE TABLE "customers" (
    "id" SERIAL NOT NULL,
    "name" VARCHAR(60) NOT NULL,
    "displayName" TEXT NOT NULL,
    "isAdmin" BOOLEAN NOT NULL DEFAULT false,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "customers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "key" TEXT NOT NULL,
    "customerId" INTEGER NOT NULL,
    "secretHash" TEXT NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsed" TIMESTAMPTZ(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "spaces" (
    "customerId" INTEGER NOT NULL,
    "id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "defaultTags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "defaultRoles" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "defaultMaxWidth" INTEGER NOT NULL DEFAULT 0,
    "defaultOpenFullMax" INTEGER NOT NULL DEFAULT 0,
    "defaultOpenMaxWidth" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "spaces_pkey" PRIMARY KEY ("customerId","id")
);

-- CreateTable
CREATE TABLE "assets" (
    "customerId" INTEGER NOT NULL,
    "spaceId" INTEGER NOT NULL,
    "id" VARCHAR(200) NOT NULL,
    "origin" TEXT,
    "mediaType" TEXT NOT NULL,
    "family" "AssetFamily" NOT NULL DEFAULT 'I',
    "deliveryChannels" JSONB NOT NULL DEFAULT '[]',
    "roles" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "maxWidth" INTEGER NOT NULL DEFAULT 0,
    "openFullMax" INTEGER NOT NULL DEFAULT 0,
    "openMaxWidth" INTEGER NOT NULL DEFAULT 0,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "string1" TEXT,
    "string2" TEXT,
    "string3" TEXT,
    "number1" INTEGER,
    "number2" INTEGER,
    "number3" INTEGER,
    "manifests" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished" TIMESTAMPTZ(3),
    "ingesting" BOOLEAN NOT NULL DEFAULT false,
    "error" TEXT,
    "width" INTEGER,
    "height" INTEGER,
    "duration" INTEGER,
    "batchId" INTEGER,
    "ingestAttempt" INTEGER NOT NULL DEFAULT 0,
    "derivatives" JSONB,

    CONSTRAINT "assets_pkey" PRIMARY KEY ("customerId","spaceId","id")
);

-- CreateTable
CREATE TABLE "batches" (
    "id" SERIAL NOT NULL,
    "customerId" INTEGER NOT NULL,
    "submitted" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "count" INTEGER NOT NULL,
    "completed" INTEGER NOT NULL DEFAULT 0,
    "errors" INTEGER NOT NULL DEFAULT 0,
    "finished" TIMESTAMPTZ(3),
    "superseded" BOOLEAN NOT NULL DEFAULT false,
    "priority" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "batches_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "batch_members" (
    "batchId" INTEGER NOT NULL,
    "customerId" INTEGER NOT NULL,
    "spaceId" INTEGER NOT NULL,
    "assetId" VARCHAR(200) NOT NULL,
    "attempt" INTEGER NOT NULL,
    "outcome" "BatchMemberOutcome" NOT NULL DEFAULT 'pending',
    "error" TEXT,
    "finished" TIMESTAMPTZ(3),

    CONSTRAINT "batch_members_pkey" PRIMARY KEY ("batchId","customerId","spaceId","assetId")
);

-- CreateTable
CREATE TABLE "outbox_messages" (
    "id" UUID NOT NULL,
    "routingKey" TEXT NOT NULL,
    "envelope" JSONB NOT NULL,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,

    CONSTRAINT "outbox_messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "processed_messages" (
    "consumer" TEXT NOT NULL,
    "messageId" UUID NOT NULL,
    "processed" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_messages_pkey" PRIMARY KEY ("consumer","messageId")
);

-- CreateTable
CREATE TABLE "delivery_channel_policies" (
    "customerId" INTEGER NOT NULL,
    "channel" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "displayName" TEXT NOT NULL,
    "system" BOOLEAN NOT NULL DEFAULT false,
    "policyData" JSONB,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "modified" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "delivery_channel_policies_pkey" PRIMARY KEY ("customerId","channel","name")
);

-- CreateTable
CREATE TABLE "default_delivery_channels" (
    "id" UUID NOT NULL,
    "customerId" INTEGER NOT NULL,
    "spaceId" INTEGER NOT NULL DEFAULT 0,
    "mediaType" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "policy" TEXT NOT NULL,

    CONSTRAINT "default_delivery_channels_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "origin_strategies" (
    "id" UUID NOT NULL,
    "customerId" INTEGER NOT NULL,
    "regex" TEXT NOT NULL,
    "strategy" TEXT NOT NULL,
    "credentials" TEXT,
    "optimised" BOOLEAN NOT NULL DEFAULT false,
    "order" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "origin_strategies_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "storage_usage" (
    "customerId" INTEGER NOT NULL,
    "spaceId" INTEGER NOT NULL,
    "numberOfStoredImages" BIGINT NOT NULL DEFAULT 0,
    "totalSizeOfStoredImages" BIGINT NOT NULL DEFAULT 0,
    "totalSizeOfThumbnails" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "storage_usage_pkey" PRIMARY KEY ("customerId","spaceId")
);

-- CreateTable
CREATE TABLE "asset_storage" (
    "customerId" INTEGER NOT NULL,
    "spaceId" INTEGER NOT NULL,
    "assetId" VARCHAR(200) NOT NULL,
    "size" BIGINT NOT NULL DEFAULT 0,
    "thumbnailSize" BIGINT NOT NULL DEFAULT 0,
    "checked" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "asset_storage_pkey" PRIMARY KEY ("customerId","spaceId","assetId")
);

-- CreateIndex
CREATE UNIQUE INDEX "customers_name_key" ON "customers"("name");

-- CreateIndex
CREATE INDEX "api_keys_customerId_idx" ON "api_keys"("customerId");

-- CreateIndex
CREATE UNIQUE INDEX "spaces_customerId_name_key" ON "spaces"("customerId", "name");

-- CreateIndex
CREATE INDEX "assets_customerId_spaceId_created_idx" ON "assets"("customerId", "spaceId", "created");

-- CreateIndex
CREATE INDEX "assets_customerId_string1_idx" ON "assets"("customerId", "string1");

-- CreateIndex
CREATE INDEX "assets_batchId_idx" ON "assets"("batchId");

-- CreateIndex
CREATE INDEX "batches_customerId_submitted_idx" ON "batches"("customerId", "submitted");

-- CreateIndex
CREATE INDEX "batch_members_customerId_spaceId_assetId_idx" ON "batch_members"("customerId", "spaceId", "assetId");

-- CreateIndex
CREATE INDEX "outbox_messages_sentAt_created_idx" ON "outbox_messages"("sentAt", "created");

-- CreateIndex
CREATE UNIQUE INDEX "default_delivery_channels_customerId_spaceId_mediaType_chan_key" ON "default_delivery_channels"("customerId", "spaceId", "mediaType", "channel");

-- CreateIndex
CREATE INDEX "origin_strategies_customerId_order_idx" ON "origin_strategies"("customerId", "order");

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "spaces" ADD CONSTRAINT "spaces_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "assets" ADD CONSTRAINT "assets_batchId_fkey" FOREIGN KEY ("batchId") REFERENCES "batches"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "batches" ADD CONSTRAINT "batches_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "batch_members" ADD CONSTRAINT "batch_members_batchId_fkey" FOREIGN KEY ("batchId") REFERENCES "batches"("id") ON DELETE CASCADE ON UPDATE CASCADE;

