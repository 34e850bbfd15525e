import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { GatewayConfig } from '../config/gateway-config';
import type { BudgetAlertNotifier } from '../budget/alert-types';
import type { ProviderRegistry } from '../providers/registry';
import type { GatewayMetrics } from '../observability/metrics';
import type { Logger } from '../observability/logger';
import type { RateLimiter } from '../ratelimit/rate-limiter';
import type { SecretBox } from '../secrets/secret-box';
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
  /** Requests- and tokens-per-minute limits, shared with the other instances through Postgres. */
  readonly rateLimiter: RateLimiter;
  /** Admin bearer token; undefined closes the admin API. */
  readonly adminToken: string | undefined;
  /** Starts budget alert deliveries after a stream's settlement; unset = the alert sweeper delivers. */
  readonly budgetAlerts?: BudgetAlertNotifier;
  /** Seals and opens secrets at rest under the master key; unset = no master key configured. */
  readonly secretBox?: SecretBox;
}
