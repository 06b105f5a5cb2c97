-- Access control configuration and IIIF Auth 2.0 sessions (SPEC.md §3.3, §6).

-- CreateEnum
CREATE TYPE "RoleProviderType" AS ENUM ('clickthrough', 'builtin', 'oidc');

-- CreateEnum
CREATE TYPE "AccessServiceProfile" AS ENUM ('active', 'kiosk', 'external');

-- CreateTable
CREATE TABLE "roles" (
    "customerId" INTEGER NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "label" JSONB NOT NULL,
    "accessService" VARCHAR(100) NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "modified" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "roles_pkey" PRIMARY KEY ("customerId", "name")
);

-- CreateTable
CREATE TABLE "access_services" (
    "customerId" INTEGER NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "profile" "AccessServiceProfile" NOT NULL DEFAULT 'active',
    "label" JSONB NOT NULL,
    "heading" JSONB,
    "note" JSONB,
    "confirmLabel" JSONB,
    "roleProvider" VARCHAR(100) NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "modified" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "access_services_pkey" PRIMARY KEY ("customerId", "name")
);

-- CreateTable
CREATE TABLE "role_providers" (
    "customerId" INTEGER NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "type" "RoleProviderType" NOT NULL,
    "issuer" TEXT,
    "clientId" TEXT,
    "clientSecret" TEXT,
    "scopes" TEXT,
    "claim" TEXT,
    "roleMapping" JSONB,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "modified" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "role_providers_pkey" PRIMARY KEY ("customerId", "name")
);

-- CreateTable
CREATE TABLE "auth_users" (
    "id" UUID NOT NULL,
    "customerId" INTEGER NOT NULL,
    "username" VARCHAR(200) NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "roles" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "modified" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "auth_users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "auth_sessions" (
    "id" VARCHAR(64) NOT NULL,
    "customerId" INTEGER NOT NULL,
    "accessService" VARCHAR(100) NOT NULL,
    "roles" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "subject" TEXT,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeen" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires" TIMESTAMPTZ(3) NOT NULL,
    "ended" TIMESTAMPTZ(3),

    CONSTRAINT "auth_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "roles_customerId_accessService_idx" ON "roles"("customerId", "accessService");

-- CreateIndex
CREATE UNIQUE INDEX "auth_users_customerId_username_key" ON "auth_users"("customerId", "username");

-- CreateIndex
CREATE INDEX "auth_sessions_customerId_idx" ON "auth_sessions"("customerId");

-- CreateIndex
CREATE INDEX "auth_sessions_expires_idx" ON "auth_sessions"("expires");

-- AddForeignKey
ALTER TABLE "roles" ADD CONSTRAINT "roles_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "access_services" ADD CONSTRAINT "access_services_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "role_providers" ADD CONSTRAINT "role_providers_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "auth_users" ADD CONSTRAINT "auth_users_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "auth_sessions" ADD CONSTRAINT "auth_sessions_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Every existing customer gets the defaults a new one gets (SPEC.md §3.3 "Customers"): a clickthrough role
-- provider, access service and role, all named clickthrough.
INSERT INTO "role_providers" ("customerId", "name", "type")
SELECT "id", 'clickthrough', 'clickthrough' FROM "customers"
ON CONFLICT DO NOTHING;

INSERT INTO "access_services" ("customerId", "name", "profile", "label", "heading", "note", "confirmLabel", "roleProvider")
SELECT "id", 'clickthrough', 'active',
       '{"en": ["Terms of use"]}'::jsonb,
       '{"en": ["Please read and accept the terms of use"]}'::jsonb,
       '{"en": ["This material is available to anyone who accepts the terms of use."]}'::jsonb,
       '{"en": ["Accept the terms"]}'::jsonb,
       'clickthrough'
FROM "customers"
ON CONFLICT DO NOTHING;

INSERT INTO "roles" ("customerId", "name", "label", "accessService")
SELECT "id", 'clickthrough', '{"en": ["Clickthrough"]}'::jsonb, 'clickthrough' FROM "customers"
ON CONFLICT DO NOTHING;

-- Roles are now stored by name (the API renders them as {api}/customers/{c}/roles/{name}): role URIs written
-- before keep their last path segment.
UPDATE "assets" SET "roles" = ARRAY(SELECT regexp_replace(r, '^.*/roles/', '') FROM unnest("roles") AS r)
WHERE cardinality("roles") > 0;

UPDATE "spaces" SET "defaultRoles" = ARRAY(SELECT regexp_replace(r, '^.*/roles/', '') FROM unnest("defaultRoles") AS r)
WHERE cardinality("defaultRoles") > 0;

UPDATE "custom_headers" SET "role" = regexp_replace("role", '^.*/roles/', '')
WHERE "role" IS NOT NULL;
