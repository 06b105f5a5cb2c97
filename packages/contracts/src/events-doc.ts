import { getMetadataStorage } from 'class-validator';
import { allMessages, MessageClass } from './registry';

/** Payload property names of a registered class, in declaration order (from class-validator metadata). */
export function payloadFields(cls: MessageClass): string[] {
  const metas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  const seen = new Set<string>();
  for (const m of metas) seen.add(m.propertyName);
  return [...seen];
}

/**
 * Renders docs/events.md from the registry: every routing key, its producers, consumers, description and
 * payload fields. `docs/events.md` is generated (`pnpm --filter @vellum/contracts docs:events`) and a unit
 * test fails when it is stale.
 */
export function renderEventsDoc(): string {
  const lines = [
    '# Message registry',
    '',
    '<!-- Generated from packages/contracts by `pnpm --filter @vellum/contracts docs:events`. Do not edit. -->',
    '',
    'Every message on the Vellum bus (RabbitMQ topic exchange `vellum`), with its routing key',
    '`<domain>.<entity>.<event>.v<N>` (past tense for facts, imperative for commands). Each travels in the envelope',
    '`{ id, type, occurredAt, correlationId, causationId, producer, data }`; consumers validate `data` against the',
    'payload class before any handler runs, and an invalid message goes to the dead-letter queue without retry.',
    'Queues are named `<consuming service>.<routing key>` (see packages/messaging/README.md).',
    '',
    '| routing key | producers | consumers | what it says |',
    '|---|---|---|---|',
  ];
  for (const m of allMessages()) {
    lines.push(
      `| \`${m.routingKey}\` | ${m.producers.join(', ')} | ${m.consumers.join(', ')} | ${m.description} |`,
    );
  }
  lines.push('', '## Payloads', '');
  for (const m of allMessages()) {
    lines.push(
      `### \`${m.routingKey}\` (${m.name})`,
      '',
      m.description,
      '',
      `Fields: ${payloadFields(m)
        .map((f) => `\`${f}\``)
        .join(', ')}.`,
      '',
    );
  }
  return lines.join('\n');
}
