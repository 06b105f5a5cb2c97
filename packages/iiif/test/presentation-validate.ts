/**
 * Test support for the Presentation builders: the IIIF Presentation 3 JSON schema (`fixtures/iiif/`, see
 * fixtures/PROVENANCE.md) compiled with ajv, and the 2.1 → 3.0 upgrade of `@iiif/parser`. (@vellum/testing has the
 * same helpers for the apps; this package cannot depend on it: @vellum/testing depends on @vellum/db, which depends
 * on this package.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { convertPresentation2 } from '@iiif/parser/presentation-2';

const SCHEMA = path.resolve(__dirname, '../../../fixtures/iiif/presentation-3.schema.json');

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')) as object);

/** The schema's complaints about `doc` (empty when it validates). */
export function presentation3SchemaErrors(doc: unknown): string[] {
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim());
}

/** `@iiif/parser`'s upgrade of a 2.1 document to 3.0 (throws on what it cannot read); `doc` is left as it was. */
export function upgradePresentation2(doc: unknown): Record<string, unknown> {
  // The parser rewrites parts of what it is given: upgrade a copy.
  return convertPresentation2(structuredClone(doc)) as Record<string, unknown>;
}
