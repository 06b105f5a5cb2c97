/** Nest injection tokens of iiif-delivery. `PRISMA` comes from @vellum/db, `OBJECT_STORE` from @vellum/storage. */
export { OBJECT_STORE } from '@vellum/storage';
export const DELIVERY_ENV = Symbol('DELIVERY_ENV');
export const BUCKETS = Symbol('BUCKETS');
