import { Client, type ClientInterceptors } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';

export interface TemporalSettings {
  readonly address: string;
  readonly namespace: string;
  /** Temporal Cloud API key; implies TLS. */
  readonly apiKey?: string;
  readonly tls?: boolean;
}

/**
 * One NativeConnection for both the client and the in-process worker: eager workflow start
 * requires the client to share the worker's connection.
 *
 * @param extras.dataConverter the client's data converter (see `historyDataConverter`); default: the SDK's.
 * @param extras.interceptors client interceptors (tracing); default none.
 */
export async function connectTemporal(
  settings: TemporalSettings,
  extras: { readonly dataConverter?: DataConverter; readonly interceptors?: ClientInterceptors } = {},
): Promise<{ connection: NativeConnection; client: Client }> {
  const connection = await NativeConnection.connect({
    address: settings.address,
    tls: settings.tls || settings.apiKey ? true : undefined,
    apiKey: settings.apiKey,
  });
  const client = new Client({ connection, namespace: settings.namespace, dataConverter: extras.dataConverter, interceptors: extras.interceptors });
  return { connection, client };
}
