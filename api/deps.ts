import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Pool } from 'pg';
import type { GatewayConfig } from '../config/gateway-config';
import type { BudgetAlertNotifier } from '../budget/alert-types';
import type { ProviderRegistry } from '../providers/registry';
import type { GatewayMetrics } from '../observability/metrics';
import type { Logger } from '../observability/logger';
import type { RateLimiter } from '../ratelimit/rate-limiter';
import type { CircuitBreakers } from '../circuit/circuit-breakers';
import type { OrderDeployments } from '../config/route-plan';
import type { DeploymentStats } from '../routing/deployment-stats';
import type { CredentialReferencePolicy } from '../secrets/credential-reference';
import type { SecretBox } from '../secrets/secret-box';
import type { ClientKeys } from './client-keys';
import type { HttpDrain } from './drain';
import type { BodyLoggingSettings } from './body-logging-settings';
import type { EarlyAnswers } from './early-answers';

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
  /** The history encryption codec served at /codec/* for the Temporal UI; unset = encryption off. */
  readonly historyCodec?: PayloadCodec;
  /** Browser origins allowed to call /codec/*; default: the local Temporal UI (port 8233). */
  readonly codecCorsOrigins?: ReadonlyArray<string>;
  /** Graceful shutdown: tracks requests in flight; unset = no drain (tests that build an app alone). */
  readonly drain?: HttpDrain;
  /** Per-tenant opt-in body logging settings (cached); unset = bodies are never stored. */
  readonly bodyLogging?: BodyLoggingSettings;
  /** Circuit breakers shared through Postgres; unset = no deployment is ever skipped. */
  readonly circuits?: CircuitBreakers;
  /** This process's in-flight counts and latencies per deployment (balancer input). */
  readonly deploymentStats?: DeploymentStats;
  /** Orders equal-priority deployments by each model's `strategy`; unset = weighted random. */
  readonly balancer?: OrderDeployments;
  /** Seals and opens secrets at rest under the master key; unset = no master key configured. */
  readonly secretBox?: SecretBox;
  /** Which `env:`/`file:` credential references the admin API accepts; unset = no `file:` reference. */
  readonly credentialReferences?: CredentialReferencePolicy;
  /** Results handed over by this process's interactive worker (early answers); unset = `result()` only. */
  readonly answers?: EarlyAnswers;
}
