import { temporal } from '@temporalio/proto';
import type { NativeConnection } from '@temporalio/worker';
import { SEARCH_ATTRIBUTE_DEFS, type SearchAttributeDef, type SearchAttributeDefType } from './search-attribute-defs';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

const INDEXED_TYPE: Record<SearchAttributeDefType, temporal.api.enums.v1.IndexedValueType> = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Double: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  Text: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KeywordList: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** What {@link ensureSearchAttributes} found and did. */
export interface SearchAttributeCheck {
  /** Registered by this call. */
  readonly added: readonly string[];
  /** Registered already, but with another type: workflow starts using them will fail. */
  readonly conflicting: readonly string[];
}

/**
 * Registers Switchyard's search attributes on an existing cluster's namespace if they are
 * missing (the embedded dev server gets them as start flags instead). Without them every
 * workflow start is refused, so the gateway checks at start rather than failing per request.
 *
 * @throws the server's error when listing or adding is not allowed (e.g. Temporal Cloud, where
 *   search attributes are managed with `tcld`); the caller reports it with the manual command.
 */
export async function ensureSearchAttributes(
  connection: NativeConnection,
  namespace: string,
  defs: ReadonlyArray<SearchAttributeDef> = SEARCH_ATTRIBUTE_DEFS,
): Promise<SearchAttributeCheck> {
  const listed = await connection.operatorService.listSearchAttributes({ namespace });
  const existing = listed.customAttributes ?? {};
  const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  const conflicting: string[] = [];
  for (const def of defs) {
    const type = existing[def.name];
    if (type === undefined) missing[def.name] = INDEXED_TYPE[def.type];
    else if (type !== INDEXED_TYPE[def.type]) conflicting.push(def.name);
  }
  const added = Object.keys(missing);
  if (added.length > 0) await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  return { added, conflicting };
}
