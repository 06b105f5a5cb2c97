import { hydraCollection, parsePaging, type HydraCollection } from '../http/hydra';
import type { RowPage } from './customer-scoped.repository';
import type { FieldTable } from './field-table';

/**
 * Serves one page of a Hydra collection (SPEC.md §3.1), the one way every paged list in the gateway is answered:
 * parses `page`, `pageSize`, `orderBy`/`orderByDescending` against the table's whitelist and the table's filters
 * (400 naming every bad parameter), fetches the page, renders each row.
 * @param requestUrl the absolute URL of the request (the collection's `@id`; `view` links keep its parameters).
 * @param query the request's query parameters.
 * @param fetch reads the page for the parsed filter `where` (already validated) and paging.
 * @param render the presenter of one row.
 * @throws QueryValidationError (400) for a bad paging, order or filter parameter.
 */
export async function listPage<Row, Out>(
  requestUrl: string,
  query: Record<string, unknown>,
  table: FieldTable<Row, string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  fetch: (where: Record<string, unknown>, paging: ReturnType<typeof parsePaging>) => Promise<RowPage<Row>>,
  render: (row: Row) => Out,
  opts: { filters?: boolean } = {},
): Promise<HydraCollection<Out>> {
  const paging = parsePaging(query, table.orderFields);
  const where = opts.filters === false ? {} : table.filter(query);
  const { rows, total } = await fetch(where, paging);
  return hydraCollection(requestUrl, rows.map(render), total, paging);
}
