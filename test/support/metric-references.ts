import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..');
export const DASHBOARD_PATH = path.join(ROOT, 'observability', 'grafana', 'switchyard-dashboard.json');
export const ALERTS_PATH = path.join(ROOT, 'observability', 'prometheus', 'alerts.yml');
export const ALERT_TESTS_PATH = path.join(ROOT, 'observability', 'prometheus', 'alerts.test.yml');

/** Prefixes of the metrics the gateway exports (its own, GenAI, Temporal core, Node process). */
const METRIC_PREFIXES = /^(switchyard_|gen_ai_|temporal_|process_|nodejs_)/;

interface Panel {
  title?: string;
  type?: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

/** Every PromQL expression of the dashboard: panel targets and templating queries. */
export function dashboardExpressions(): Array<{ where: string; expr: string }> {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as { panels: Panel[]; templating: { list: Array<{ name: string; query?: unknown }> } };
  const out: Array<{ where: string; expr: string }> = [];
  const visit = (panels: Panel[]): void => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ where: `panel "${p.title}"`, expr: t.expr });
      visit(p.panels ?? []);
    }
  };
  visit(dashboard.panels);
  for (const v of dashboard.templating.list) {
    // label_values(metric, label): the metric is the first argument.
    const m = typeof v.query === 'string' ? /^label_values\(([^,)]+)/.exec(v.query) : null;
    if (m) out.push({ where: `variable $${v.name}`, expr: m[1]! });
  }
  return out;
}

/** Every alert's expression in alerts.yml. */
export function alertExpressions(): Array<{ where: string; expr: string }> {
  const file = parse(readFileSync(ALERTS_PATH, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
  return file.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })));
}

/**
 * The metric names a PromQL expression reads: label matchers (`{…}`), grouping clauses
 * (`by (…)`), strings and range selectors are removed first, so label names that share a
 * prefix with metrics (`gen_ai_request_model`) are not taken for metrics.
 */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const names = stripped.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return [...new Set(names.filter((n) => METRIC_PREFIXES.test(n)))];
}

/** Every metric name the dashboard and the alert rules reference, with where each is used. */
export function referencedMetrics(): Map<string, string[]> {
  const refs = new Map<string, string[]>();
  for (const { where, expr } of [...dashboardExpressions(), ...alertExpressions()]) {
    for (const name of metricNamesIn(expr)) refs.set(name, [...(refs.get(name) ?? []), where]);
  }
  return refs;
}

/**
 * Sample names a Prometheus text exposition can contain: each `# TYPE` family, plus
 * `_bucket`, `_sum` and `_count` for histograms (and `_sum`, `_count` for summaries).
 */
export function exportedSampleNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const m of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, kind] = m as unknown as [string, string, string];
    names.add(name);
    if (kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (kind === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}
