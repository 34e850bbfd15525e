import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { GatewayConfig } from '../config/gateway-config';
import type { ProviderRegistry } from '../providers/registry';
import type { GatewayMetrics } from '../observability/metrics';
import type { Logger } from '../observability/logger';
import type { ClientKeys } from './client-keys';

/** What the HTTP layer is built from; created once by the entry point. */
export interface ApiDeps {
  readonly config: GatewayConfig;
  readonly pool: Pool;
  readonly temporal: Client;
  readonly providers: ProviderRegistry;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly keys: ClientKeys;
  /** Admin bearer token; undefined closes the admin API. */
  readonly adminToken: string | undefined;
}
