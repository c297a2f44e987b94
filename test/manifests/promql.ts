/** Reading our alert rules and dashboard: their PromQL, the metrics it names, promtool runs. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findExecutable } from '../../lib/host-tools.js';

const run = promisify(execFile);

export interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface RuleFile {
  groups: { name: string; rules: AlertRule[] }[];
}

export interface DashboardTarget {
  expr: string;
  refId: string;
  legendFormat?: string;
  datasource?: { uid: string };
}
export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: DashboardTarget[];
}
export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
  templating: { list: { name: string }[] };
}

/** Grafana's variables replaced by values PromQL accepts, so promtool can parse the query. */
export function withDashboardVariables(expr: string): string {
  return expr.replaceAll('$__rate_interval', '5m').replaceAll('$node', '.*');
}

/** Metric names (podeip_* and the process_* defaults) a PromQL expression reads, histogram suffixes dropped. */
export function metricsIn(expr: string): string[] {
  const names = expr.match(/\b(?:podeip|process)_[a-z0-9_]+\b/g) ?? [];
  return [...new Set(names.map((n) => n.replace(/_(bucket|count|sum)$/, '')))].sort();
}

/** The metric names in docs/metrics.md's tables (rows that start with a backquoted name). */
export function documentedMetrics(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/^\| `((?:podeip|process)_[a-z0-9_]+)`/gm)].map((m) => m[1]!));
}

/** The metric families of a Prometheus text exposition, by their TYPE lines. */
export function exposedMetrics(exposition: string): Set<string> {
  return new Set([...exposition.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]!));
}

export interface PromtoolResult {
  code: number;
  output: string;
}

/** promtool with its exit code and combined output; a missing promtool is an error that says how to get it. */
export async function promtool(args: string[], input?: string): Promise<PromtoolResult> {
  const child = run(findExecutable('promtool', 'PROMTOOL') ?? 'promtool', args, { maxBuffer: 8 * 1024 * 1024 });
  if (input !== undefined) child.child.stdin?.end(input);
  try {
    const { stdout, stderr } = await child;
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error(
        "promtool not found on PATH: npm test's pretest step (scripts/test-tools.mjs) installs Debian's prometheus package, or says the command to run",
        { cause: err },
      );
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}
