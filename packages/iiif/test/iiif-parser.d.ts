/**
 * Types of the `@iiif/parser/presentation-2` entry point: the package declares it through `exports`, which this
 * repository's `moduleResolution: node` does not read (Jest does).
 */
declare module '@iiif/parser/presentation-2' {
  /** Upgrades a IIIF Presentation 2.x document to 3.0. */
  export function convertPresentation2(doc: unknown): unknown;
}
