-- Platform-wide system delivery channel policies and default delivery channel rules (SPEC.md section 1 "Delivery channel",
-- "Default delivery channels"). customerId 0 = the platform, and new customers get copies of the non-system defaults.
-- Idempotent (ON CONFLICT DO NOTHING) so it never fails on a database that already holds them.

INSERT INTO "delivery_channel_policies" ("customerId", "channel", "name", "displayName", "system", "policyData", "created", "modified")
VALUES
  (0, 'iiif-img', 'default',       'Default IIIF Image service (tiled pyramid)',    true, NULL, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
  (0, 'iiif-img', 'use-original',  'IIIF Image service served from the original',   true, NULL, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
  (0, 'thumbs',   'default',       'Default thumbnail sizes',                       true, '["!1024,1024","!400,400","!200,200","!100,100"]'::jsonb, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
  (0, 'iiif-av',  'default-video', 'Default video transcode (MP4 720p)',            true, '["video-mp4-720p"]'::jsonb, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
  (0, 'iiif-av',  'default-audio', 'Default audio transcode (MP3 128 kbit/s)',      true, '["audio-mp3-128"]'::jsonb, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
  (0, 'file',     'none',          'The original file, as is',                      true, NULL, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
  (0, 'none',     'none',          'Known to the platform, never served',           true, NULL, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)
ON CONFLICT ("customerId", "channel", "name") DO NOTHING;

INSERT INTO "default_delivery_channels" ("id", "customerId", "spaceId", "mediaType", "channel", "policy")
VALUES
  ('00000000-0000-4000-8000-000000000001', 0, 0, 'image/*',       'iiif-img', 'default'),
  ('00000000-0000-4000-8000-000000000002', 0, 0, 'image/*',       'thumbs',   'default'),
  ('00000000-0000-4000-8000-000000000003', 0, 0, 'video/*',       'iiif-av',  'default-video'),
  ('00000000-0000-4000-8000-000000000004', 0, 0, 'audio/*',       'iiif-av',  'default-audio'),
  ('00000000-0000-4000-8000-000000000005', 0, 0, 'application/*', 'file',     'none')
ON CONFLICT DO NOTHING;
