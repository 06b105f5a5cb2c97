/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are untyped JSON */
import type { TestGateway } from './harness';

/** Creates a second customer through the admin key and returns a `key:secret` of it (tenant-isolation checks). */
export async function otherCustomerKey(gw: TestGateway, admin: string, name = 'other'): Promise<string> {
  const customer = await gw.call('POST', '/customers', { key: admin, body: { name, displayName: name } });
  if (customer.status !== 201) throw new Error(`customer ${name}: ${customer.status} ${customer.text}`);
  const k = await gw.call('POST', `/customers/${customer.json.id}/keys`, { key: admin });
  return `${k.json.key}:${k.json.secret}`;
}

/** The `data` of every outbox row with this routing key, oldest first. */
export async function outboxData(gw: TestGateway, routingKey: string): Promise<any[]> {
  const rows = await gw.prisma.outboxMessage.findMany({ where: { routingKey }, orderBy: { created: 'asc' } });
  return rows.map((r) => (r.envelope as any).data);
}

/**
 * Plays the orchestrator's finaliser in the database every 50 ms: each ingesting asset ends successfully
 * (640 x 480). Returns a function that stops it.
 */
export function autoFinish(gw: TestGateway): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    gw.prisma.asset
      .updateMany({
        where: { ingesting: true },
        data: { ingesting: false, finished: new Date(), width: 640, height: 480, error: null },
      })
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, 50);
  return () => clearInterval(timer);
}
