import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ALERT_TESTS_PATH,
  ALERTS_PATH,
  DASHBOARD_PATH,
  alertExpressions,
  dashboardExpressions,
  metricNamesIn,
  referencedMetrics,
} from '../../support/metric-references';

/** promtool from the Debian `prometheus` package (or any on PATH). */
function promtool(): string {
  const found = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  const bin = found.stdout.trim();
  if (found.status !== 0 || !bin) {
    throw new Error('promtool not found: install it with `apt-get install prometheus` (Debian/Ubuntu), or put a promtool binary on PATH');
  }
  return bin;
}

function run(args: string[], cwd?: string): string {
  try {
    return execFileSync(promtool(), args, { encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}${e.message}`, { cause: err });
  }
}

describe('Prometheus alert rules', () => {
  it('pass promtool check rules', () => {
    expect(run(['check', 'rules', ALERTS_PATH])).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass their promtool unit tests (error rate, circuit open, budget near limit, workflow backlog)', () => {
    const out = run(['test', 'rules', path.basename(ALERT_TESTS_PATH)], path.dirname(ALERT_TESTS_PATH));
    expect(out).toContain('SUCCESS');
    const tested = new Set([...readFileSync(ALERT_TESTS_PATH, 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
    expect(tested.size).toBeGreaterThanOrEqual(2);
    const defined = new Set(alertExpressions().map((a) => a.where.replace(/^alert /, '')));
    for (const name of tested) expect(defined).toContain(name);
  });
});

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as { uid: string; panels: Array<{ type: string; title: string; targets?: unknown[] }> };

  it('has a query on every panel, and covers the required views', () => {
    expect(dashboard.uid).toBe('switchyard-gateway');
    const withoutQuery = dashboard.panels.filter((p) => p.type !== 'row' && !p.targets?.length).map((p) => p.title);
    expect(withoutQuery).toEqual([]);
    const names = new Set(dashboardExpressions().flatMap((e) => metricNamesIn(e.expr)));
    for (const required of [
      'switchyard_http_requests_total',
      'switchyard_http_request_duration_seconds_bucket',
      'gen_ai_server_time_to_first_token_seconds_bucket',
      'gen_ai_client_token_usage_sum',
      'switchyard_cost_usd_total',
      'switchyard_budget_rejections_total',
      'switchyard_rate_limit_rejections_total',
      'switchyard_upstream_retries_total',
      'switchyard_fallbacks_total',
      'switchyard_circuit_state',
      'switchyard_workflow_start_seconds_bucket',
      'temporal_worker_task_slots_available',
    ]) {
      expect(names).toContain(required);
    }
  });
});

describe('metric name extraction', () => {
  it('takes metrics, not label names that share their prefix', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le, gen_ai_request_model) (rate(gen_ai_server_time_to_first_token_seconds_bucket{gen_ai_provider_name="x"}[5m])))',
      ),
    ).toEqual(['gen_ai_server_time_to_first_token_seconds_bucket']);
    expect(metricNamesIn('a_b / switchyard_x_total')).toEqual(['switchyard_x_total']);
    expect(referencedMetrics().size).toBeGreaterThan(15);
  });
});
