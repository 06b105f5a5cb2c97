/** Named-query templates (SPEC.md §7): parse and validate a template, bind it to a request's arguments. */
export {
  MAX_ARGUMENTS,
  NAMED_QUERY_FIELDS,
  NAMED_QUERY_KEYS,
  NamedQueryError,
  parseNamedQueryTemplate,
  TEMPLATE_MAX_LENGTH,
  type NamedQueryConditionKey,
  type NamedQueryField,
  type NamedQueryKey,
  type NamedQueryTemplate,
  type NamedQueryTextKey,
  type TemplateCondition,
  type TemplateOrderTerm,
  type TemplateValue,
} from './template';
export {
  bindNamedQuery,
  parseNamedQueryArguments,
  type AssetQueryConditions,
  type AssetQueryField,
  type BoundNamedQuery,
} from './bind';
