import { INT32_MAX } from '@vellum/common';

/**
 * The documented maximum of every string and list field the management API stores (SPEC.md §3.1, §10
 * "every bad input answered with a 4xx"), chosen to fit the Postgres columns behind them (`packages/db`), and
 * listed in the gateway README and the OpenAPI document. Lengths count UTF-16 code units (JavaScript
 * `String.length`; an emoji counts 2). Integers are int4 columns: at most {@link INT32_MAX}.
 */
export const LIMITS = {
  /** Asset `id` (varchar(200), SPEC.md §1). */
  assetId: 200,
  /** Asset `origin` URI. */
  origin: 4096,
  /** Asset `mediaType` (`type/subtype` and parameters). */
  mediaType: 255,
  /** `string1..3`: characters, and UTF-8 bytes (they sit in a btree index, whose rows are at most 2,704 bytes). */
  metadataString: 1000,
  metadataStringBytes: 2000,
  /** One tag, and how many (asset `tags`, space `defaultTags`). */
  tag: 200,
  tags: 1000,
  /** One role URI, and how many (asset `roles`, space `defaultRoles`). */
  role: 1000,
  roles: 100,
  /** One manifest id, and how many. */
  manifest: 1000,
  manifests: 1000,
  /** `deliveryChannels`: entries, and the length of a `policy` name or URL. */
  deliveryChannels: 10,
  policy: 500,
  /** Delivery channel policy `name` (`^[a-z0-9-]+$`), its `policyData` (the JSON text) and its entries. */
  policyName: 100,
  policyData: 10_000,
  policyDataEntries: 50,
  policyDataEntry: 100,
  /** Custom header `key` and `value` (also in @vellum/contracts, which delivery checks them against). */
  customHeaderKey: 100,
  customHeaderValue: 4096,
  /** Space `name` (unique per customer). */
  spaceName: 200,
  /** Customer `name` (varchar(60), SPEC.md §1) and `displayName`. */
  customerName: 60,
  displayName: 200,
  /** Any integer field (int4). */
  integer: INT32_MAX,
} as const;
