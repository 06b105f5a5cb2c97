/** @vellum/e2e: launches the six services as processes for end-to-end tests and benchmarks. */
export * from './platform';
export * from './rig';
