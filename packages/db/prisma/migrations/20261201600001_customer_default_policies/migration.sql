-- SPEC.md section 3.3 "Customers": thumbs/default, iiif-av/default-audio and iiif-av/default-video are not shared
-- system policies but templates that every customer gets its own copy of (and may edit), the others stay shared
-- system policies. The platform rows become non-system templates, and customers created before this migration get
-- the copies that customer creation makes (idempotent: ON CONFLICT DO NOTHING keeps a customer's own policy).

UPDATE "delivery_channel_policies" SET "system" = false
WHERE "customerId" = 0
  AND (("channel" = 'thumbs' AND "name" = 'default')
    OR ("channel" = 'iiif-av' AND "name" IN ('default-audio', 'default-video')));

INSERT INTO "delivery_channel_policies" ("customerId", "channel", "name", "displayName", "system", "policyData", "created", "modified")
SELECT c."id", p."channel", p."name", p."displayName", false, p."policyData", CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
FROM "customers" c
CROSS JOIN "delivery_channel_policies" p
WHERE p."customerId" = 0 AND p."system" = false AND c."id" <> 0
ON CONFLICT ("customerId", "channel", "name") DO NOTHING;
