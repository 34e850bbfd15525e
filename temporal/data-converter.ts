import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { HistoryEncryptionCodec } from './encryption-codec';
import type { HistoryKeyring } from './history-keyring';

/**
 * Path of the module exporting the failure converter of encrypted histories. A prebuilt workflow
 * bundle must be built with it too (`bundleWorkflowCode({ failureConverterPath })`): a worker
 * given `workflowBundle` uses the bundle's converter inside the sandbox.
 */
export const FAILURE_CONVERTER_PATH = path.join(__dirname, 'failure-converter');

/**
 * The data converter every Temporal client and worker of the gateway uses (they must agree:
 * a worker without the keyring cannot read what a client encrypted).
 *
 * @param keyring the history keyring; `null` when encryption is switched off
 *   (`SWITCHYARD_HISTORY_ENCRYPTION=off`): payloads are then written in plain text, while
 *   encrypted ones already in history cannot be read.
 */
export function historyDataConverter(keyring: HistoryKeyring | null): DataConverter {
  if (keyring === null) return {};
  return { payloadCodecs: [new HistoryEncryptionCodec(keyring)], failureConverterPath: FAILURE_CONVERTER_PATH };
}
