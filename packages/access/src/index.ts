/**
 * @vellum/access: the access rules of SPEC.md §6 and the signed IIIF Auth 2.0 credentials, pure and framework-free,
 * shared by the ingest planner, iiif-delivery and auth-service; the built-in users' password hashes (gateway, auth-service).
 */
export * from './access-rules';
export * from './auth-paths';
export * from './auth-tokens';
export * from './passwords';
