/**
 * manifests/monitoring: the alert rules pass `promtool check rules`, fire on the series they are
 * about (promtool unit tests in alert-cases.yaml) and not on healthy ones; the dashboard's
 * queries parse; rules and dashboard read only metrics docs/metrics.md documents.
 */
import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import {
  documentedMetrics,
  metricsIn,
  promtool,
  withDashboardVariables,
  type Dashboard,
  type RuleFile,
} from './promql.js';
import { repoPath } from './repo.js';

const RULES = repoPath('manifests/monitoring/podeip-alerts.yaml');
const rulesText = await readFile(RULES, 'utf8');
const rules = parse(rulesText) as RuleFile;
const alerts = rules.groups.flatMap((g) => g.rules);
const dashboard = JSON.parse(
  await readFile(repoPath('manifests/monitoring/podeip-dashboard.json'), 'utf8'),
) as Dashboard;
const cases = parse(await readFile(repoPath('test/manifests/alert-cases.yaml'), 'utf8')) as {
  tests: { name: string; alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
};

async function scratchDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'podeip-promtool-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs alert-cases.yaml against `ruleFile` with annotations removed (cases assert labels only). */
async function unitTest(dir: string, ruleFile: RuleFile) {
  const stripped = {
    groups: ruleFile.groups.map((g) => ({
      ...g,
      rules: g.rules.map(({ annotations: _annotations, ...rule }) => rule),
    })),
  };
  await writeFile(join(dir, 'rules.yaml'), stringify(stripped));
  const suite = parse(await readFile(repoPath('test/manifests/alert-cases.yaml'), 'utf8')) as Record<string, unknown>;
  await writeFile(join(dir, 'cases.yaml'), stringify({ ...suite, rule_files: [join(dir, 'rules.yaml')] }));
  return promtool(['test', 'rules', join(dir, 'cases.yaml')]);
}

test('promtool check rules accepts the alert rules, templates included', async (t) => {
  const result = await promtool(['check', 'rules', RULES]);
  t.is(result.code, 0, result.output);
  t.regex(result.output, new RegExp(`SUCCESS: ${alerts.length} rules found`));
});

test('the alerts the issue asks for exist, each with a severity, summary and description', (t) => {
  const names = alerts.map((a) => a.alert);
  for (const name of [
    'PodeipEipLeakSuspected',
    'PodeipAttachFailures',
    'PodeipCloudThrottled',
    'PodeipAgentNotReady',
    'PodeipAgentDown',
  ]) {
    t.true(names.includes(name), name);
  }
  for (const alert of alerts) {
    t.truthy(alert.alert, 'alerting rules only');
    t.regex(alert.labels?.severity ?? '', /^(critical|warning|info)$/, `${alert.alert} severity`);
    t.truthy(alert.annotations?.summary && alert.annotations.description, `${alert.alert} says what and why`);
  }
});

test('every alert fires in a promtool unit test, and the unit tests pass', async (t) => {
  const firing = new Set(
    cases.tests.flatMap((c) => c.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)),
  );
  t.deepEqual(
    alerts.map((a) => a.alert).filter((name) => !firing.has(name!)),
    [],
    'alerts with no firing case',
  );
  const result = await unitTest(await scratchDir(t), rules);
  t.is(result.code, 0, result.output);
  t.regex(result.output, /SUCCESS/);
});

test('the unit tests catch a wrong threshold', async (t) => {
  const loosened = structuredClone(rules);
  const failures = loosened.groups.flatMap((g) => g.rules).find((r) => r.alert === 'PodeipAttachFailures')!;
  t.regex(failures.expr, /> 0\.1\s*$/);
  failures.expr = failures.expr.replace(/> 0\.1\s*$/, '> 0.5');
  const result = await unitTest(await scratchDir(t), loosened);
  t.not(result.code, 0);
  t.regex(result.output, /alertname: PodeipAttachFailures/);
});

test("the dashboard's panels are laid out, use the data source variable, and every query parses", async (t) => {
  t.is(dashboard.uid, 'podeip');
  t.deepEqual(
    dashboard.templating.list.map((v) => v.name),
    ['datasource', 'node'],
  );
  const ids = dashboard.panels.map((p) => p.id);
  t.is(new Set(ids).size, ids.length, 'unique panel ids');
  const graphs = dashboard.panels.filter((p) => p.type !== 'row');
  t.true(graphs.length >= 12);
  const cells = new Set<string>();
  for (const panel of dashboard.panels) {
    const { x, y, w, h } = panel.gridPos;
    t.true(x >= 0 && w > 0 && x + w <= 24, `${panel.title} fits the 24-column grid`);
    for (let row = y; row < y + h; row += 1) {
      for (let col = x; col < x + w; col += 1) {
        t.false(cells.has(`${row}:${col}`), `${panel.title} overlaps another panel at ${row}:${col}`);
        cells.add(`${row}:${col}`);
      }
    }
  }
  const recording: { record: string; expr: string }[] = [];
  for (const panel of graphs) {
    t.deepEqual(panel.datasource, { type: 'prometheus', uid: '${datasource}' }, panel.title);
    t.true((panel.targets ?? []).length > 0, `${panel.title} has a query`);
    for (const target of panel.targets ?? []) {
      t.regex(
        target.expr,
        /job="podeip-agent", node=~"\$node"/,
        `${panel.title} ${target.refId} follows the node picker`,
      );
      recording.push({
        record: `dashboard:panel_${panel.id}_${target.refId.toLowerCase()}`,
        expr: withDashboardVariables(target.expr),
      });
    }
  }
  const dir = await scratchDir(t);
  await writeFile(
    join(dir, 'dashboard-queries.yaml'),
    stringify({ groups: [{ name: 'dashboard', rules: recording }] }),
  );
  const result = await promtool(['check', 'rules', join(dir, 'dashboard-queries.yaml')]);
  t.is(result.code, 0, result.output);
  t.regex(result.output, new RegExp(`SUCCESS: ${recording.length} rules found`));
});

test('rules and dashboard read only metrics that docs/metrics.md documents', async (t) => {
  const documented = documentedMetrics(await readFile(repoPath('docs/metrics.md'), 'utf8'));
  t.true(documented.size >= 16, 'the reference lists the metrics');
  const read = new Set([
    ...alerts.flatMap((a) => metricsIn(a.expr)),
    ...dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((target) => metricsIn(target.expr))),
  ]);
  t.deepEqual(
    [...read].filter((m) => !documented.has(m)),
    [],
  );
  t.true(read.has('podeip_attach_duration_seconds') && read.has('podeip_cloud_throttled_total'));
});

test('the queries in docs/metrics.md parse', async (t) => {
  const doc = await readFile(repoPath('docs/metrics.md'), 'utf8');
  const queries: string[] = [];
  for (const block of doc.matchAll(/```promql\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) {
      if (line.trim() === '' || line.startsWith('#')) continue;
      if (/^\s/.test(line) && queries.length > 0) queries[queries.length - 1] += ` ${line.trim()}`;
      else queries.push(line);
    }
  }
  t.true(queries.length >= 5);
  const dir = await scratchDir(t);
  await writeFile(
    join(dir, 'doc-queries.yaml'),
    stringify({ groups: [{ name: 'docs', rules: queries.map((expr, i) => ({ record: `docs:query_${i}`, expr })) }] }),
  );
  const result = await promtool(['check', 'rules', join(dir, 'doc-queries.yaml')]);
  t.is(result.code, 0, result.output);
  t.regex(result.output, new RegExp(`SUCCESS: ${queries.length} rules found`));
});
