import { proxyActivities } from '@temporalio/workflow';
import type { HealthCheckActivities, HealthCheckResult } from '../activities/health-check-activities';

// One attempt: a failed run is simply the next tick's job, and a retry would count outcomes twice.
const { checkDeploymentHealth } = proxyActivities<HealthCheckActivities>({ startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 1 } });

/**
 * Started by the `switchyard-health-checks` Schedule: one cheap call to every deployment, whose
 * outcomes feed the shared circuit breakers (a failing deployment opens without client traffic;
 * a half-open one can close on passing checks). Returns each deployment's result.
 */
export async function deploymentHealthCheckWorkflow(): Promise<HealthCheckResult[]> {
  return checkDeploymentHealth();
}
