import type { FieldError } from '../../http/problems';
import { ASSET_FIELDS } from '../asset.fields';

/**
 * How the form fields of a `multipart/form-data` upload become the asset body (SPEC.md §3.3 uploads); the types
 * come from the asset field table:
 * - integer fields (`space`, `maxWidth`, `openFullMax`, `openMaxWidth`, `number1..3`): a decimal integer, e.g.
 *   `number1=42`; an empty value is `null` (clears, as in JSON); anything else is passed on as the string, and
 *   validation names the field;
 * - list fields (`tags`, `roles`, `manifests`, `deliveryChannels`): a JSON array, e.g. `tags=["a","b"]` or
 *   `deliveryChannels=["iiif-img","thumbs"]`; an empty value is `null`; anything else is passed on as the string
 *   (→ 400 "must be an array");
 * - every other field (`id`, `mediaType`, `string1..3`, `@type`...): the text as sent.
 * A field sent twice → 400 naming it. Unknown fields are passed on and refused by the asset validation.
 */
export class FormFields {
  private readonly values: Record<string, unknown> = {};
  readonly errors: FieldError[] = [];

  /** Adds one form field (its name and UTF-8 text). */
  add(name: string, text: string): void {
    if (Object.prototype.hasOwnProperty.call(this.values, name)) {
      this.errors.push({ field: name, message: `${name} is given more than once` });
      return;
    }
    this.values[name] = formValue(name, text);
  }

  has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.values, name);
  }

  get(name: string): unknown {
    return this.values[name];
  }

  /** The asset body the fields make. */
  body(): Record<string, unknown> {
    return { ...this.values };
  }
}

/** The JSON value of one form field (see {@link FormFields}). */
export function formValue(name: string, text: string): unknown {
  const type = ASSET_FIELDS.has(name) ? ASSET_FIELDS.fields[name].type : 'string';
  if (type === 'integer') {
    if (text.trim() === '') return null;
    return /^\s*-?\d{1,16}\s*$/.test(text) ? Number(text) : text;
  }
  if (type === 'string[]' || type === 'object[]') {
    if (text.trim() === '') return null;
    if (!text.trim().startsWith('[')) return text;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}
