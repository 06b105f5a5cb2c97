/**
 * @vellum/contracts: the one registry of messages on the Vellum bus (SPEC.md §2).
 * Pure: no Nest, no I/O. Importing this module registers every message class.
 */
export * from './envelope';
export * from './registry';
export * from './messages/common';
export * from './messages/asset';
export * from './messages/image';
export * from './messages/av';
export * from './messages/batch';
export * from './messages/bus';
export * from './messages/custom-headers';
export * from './messages/access-control';
export * from './messages/customer';
export * from './messages/named-query';
export * from './delivery-channels';
export * from './av-presets';
export * from './custom-headers';
export * from './derivatives';
export * from './events-doc';
