/**
 * Custom search attributes Switchyard registers on the Temporal server. The dev server registers
 * them at start (`--search-attribute Name=Type`); a real cluster needs
 * `temporal operator search-attribute create --name <Name> --type <Type>` once per namespace.
 *
 * Values are stored in plaintext (no payload codec), so they must never carry prompts or PII.
 * The dev server's SQLite visibility store allows 10 Keyword and 3 each of Int/Double/Bool/
 * Datetime/Text/KeywordList custom attributes; this list stays inside that budget.
 */

/** Search-attribute value types, spelled the way `--search-attribute Name=Type` expects them. */
export const SearchAttributeDefType = {
  Keyword: 'Keyword',
  Int: 'Int',
  Double: 'Double',
  Bool: 'Bool',
  Datetime: 'Datetime',
  Text: 'Text',
  KeywordList: 'KeywordList',
} as const;

/** One of the {@link SearchAttributeDefType} values. */
export type SearchAttributeDefType = (typeof SearchAttributeDefType)[keyof typeof SearchAttributeDefType];

/** A custom search attribute to register: its name and value type. */
export interface SearchAttributeDef {
  readonly name: string;
  readonly type: SearchAttributeDefType;
}

/**
 * The search attributes every Switchyard namespace needs, in registration order.
 * Shared by the product (dev-server start, worker/API typed keys) and the integration tests.
 */
export const SEARCH_ATTRIBUTE_DEFS: ReadonlyArray<SearchAttributeDef> = Object.freeze([
  { name: 'SwitchyardTenant', type: 'Keyword' },
  { name: 'SwitchyardKeyId', type: 'Keyword' },
  { name: 'LlmModel', type: 'Keyword' },
  { name: 'LlmProvider', type: 'Keyword' },
  { name: 'RequestKind', type: 'Keyword' },
  { name: 'RequestOutcome', type: 'Keyword' },
  { name: 'FallbackCount', type: 'Int' },
  { name: 'CostUsd', type: 'Double' },
] as const);
