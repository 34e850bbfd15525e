import { createHash } from 'node:crypto';
import { historyKeyring, type HistoryKey } from '../../temporal/history-keyring';

/** A fixed test key (derived from its name), so child processes and later runs share it. */
export function testHistoryKey(id: string): HistoryKey {
  return { id, key: createHash('sha256').update(`switchyard test history key ${id}`).digest() };
}

/**
 * The keyring of every test gateway, worker and replay: fixed, so histories recorded by one run
 * (test/histories) still decrypt in the next.
 */
export const TEST_HISTORY_KEYRING = historyKeyring([testHistoryKey('test-a')]);
