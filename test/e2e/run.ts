/**
 * podeip's real-runtime end-to-end suite: containerd's CRI plugin runs the bridge chain and our
 * `podeip` plugin, which calls the agent, which talks to the cloud and Kubernetes simulators.
 *
 *   sudo npm run test:e2e
 *
 * Prints `e2e: <scenario>: ok|FAILED (<ms> ms)` per scenario, the RunPodSandbox and teardown
 * medians with and without podeip, and `N passed, N failed`. Exits non-zero on any failure.
 */
import { CleanupStack } from './cleanup.js';
import { E2eNode } from './e2e-node.js';
import { ensurePackages } from './packages.js';
import { median } from './pods.js';
import { agentDownDuringAdd, agentDownDuringDel } from './scenarios/agent-down.js';
import { bridgeOnly } from './scenarios/bridge-only.js';
import { eipAuto } from './scenarios/eip-auto.js';
import { noEip } from './scenarios/no-eip.js';
import { quotaExhausted } from './scenarios/quota.js';
import { TIMING_BRIDGE_ONLY, type Scenario } from './scenarios/scenario.js';
import { statefulSetKeepsEip } from './scenarios/statefulset.js';
import { primaryRewrite } from './scenarios/primary-rewrite.js';
import { Stack } from './stack.js';

const SCENARIOS: Scenario[] = [
  bridgeOnly,
  eipAuto,
  noEip,
  quotaExhausted,
  agentDownDuringAdd,
  agentDownDuringDel,
  statefulSetKeepsEip,
  primaryRewrite,
];

class Report {
  passed = 0;
  failed = 0;

  async step<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
    const start = performance.now();
    try {
      const value = await fn();
      this.line(name, 'ok', start);
      return value;
    } catch (err) {
      this.line(name, 'FAILED', start);
      process.stdout.write(indent((err as Error).stack ?? String(err)));
      return undefined;
    }
  }

  fail(name: string, why: string): void {
    this.line(name, 'FAILED', performance.now());
    process.stdout.write(indent(why));
  }

  private line(name: string, result: 'ok' | 'FAILED', start: number): void {
    if (result === 'ok') this.passed++;
    else this.failed++;
    process.stdout.write(`e2e: ${name}: ${result} (${Math.round(performance.now() - start)} ms)\n`);
  }
}

function indent(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n') + '\n'
  );
}

function printTimings(node: E2eNode): void {
  for (const [label, sample] of node.pods.timings) {
    const fmt = (values: number[]) => (values.length ? `${Math.round(median(values))} ms (n=${values.length})` : 'n/a');
    process.stdout.write(
      `e2e: timing: ${label}: RunPodSandbox median ${fmt(sample.runMs)}, teardown (Stop+Remove) median ${fmt(sample.teardownMs)}\n`,
    );
  }
  // The same medians as a table, each against the bridge-only baseline of this run.
  const baseline = node.pods.timings.get(TIMING_BRIDGE_ONLY);
  const cell = (values: number[]) => (values.length ? `${Math.round(median(values))} ms` : 'n/a');
  const delta = (values: number[], base: number[] | undefined) =>
    values.length && base?.length
      ? `${Math.round(median(values) - median(base)) >= 0 ? '+' : ''}${Math.round(median(values) - median(base))} ms`
      : '';
  process.stdout.write(
    'e2e: timing table (medians of this run)\n| pods | n | RunPodSandbox | vs bridge only | teardown (Stop+Remove) | vs bridge only |\n|---|---:|---:|---:|---:|---:|\n',
  );
  for (const [label, sample] of node.pods.timings) {
    process.stdout.write(
      `| ${label} | ${sample.runMs.length} | ${cell(sample.runMs)} | ${delta(sample.runMs, baseline?.runMs)} | ${cell(sample.teardownMs)} | ${delta(sample.teardownMs, baseline?.teardownMs)} |\n`,
    );
  }
}

/** The baseline first (bridge only), then podeip goes in and the rest run against it. */
async function runScenarios(report: Report, node: E2eNode, cleanup: CleanupStack): Promise<void> {
  for (const scenario of SCENARIOS.filter((s) => !s.needsPodeip)) {
    await report.step(scenario.name, () => scenario.run({ node, stack: undefined }));
  }
  const podeip = SCENARIOS.filter((s) => s.needsPodeip);
  const stack = await report.step('simulators, agent and podeip installed by our installer', () =>
    Stack.start(node, cleanup),
  );
  for (const scenario of podeip) {
    if (stack) await report.step(scenario.name, () => scenario.run({ node, stack }));
    else report.fail(scenario.name, 'not run: the podeip stack did not start');
  }
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write(
      'e2e: needs root (it runs containerd, creates network namespaces and a bridge): sudo npm run test:e2e\n',
    );
    return 2;
  }
  const report = new Report();
  const cleanup = new CleanupStack();
  let node: E2eNode | undefined;
  let finished: Promise<number> | undefined;
  const finish = () =>
    (finished ??= (async () => {
      const created = node;
      if (created) {
        await report.step('cleanup leaves nothing behind', async () => {
          const errors = await cleanup.runAll();
          const leftovers = await created.host.leftovers();
          const problems = [...errors, ...leftovers.map((l) => `left behind: ${l}`)];
          if (problems.length) throw new Error(problems.join('\n'));
        });
        printTimings(created);
      } else {
        await cleanup.runAll();
      }
      process.stdout.write(`${report.passed} passed, ${report.failed} failed\n`);
      return report.failed === 0 ? 0 : 1;
    })());
  // A stray error must not end the process before the host is put back.
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    process.on(event, (err: unknown) => {
      process.stdout.write(`e2e: ${event}: ${(err as Error)?.stack ?? String(err)}\n`);
      report.fail('unexpected error', String(err));
      void finish().finally(() => process.exit(1));
    });
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stdout.write(`e2e: ${signal}: cleaning up\n`);
      void finish().finally(() => process.exit(130));
    });
  }

  try {
    const packages = await report.step('install packages', () => ensurePackages());
    if (!packages) return await finish();
    process.stdout.write(
      packages.installed.length
        ? `e2e: installed ${packages.installed.join(' ')} in ${packages.ms} ms\n`
        : 'e2e: packages already present\n',
    );
    for (const dir of await E2eNode.recoverAbandonedRuns())
      process.stdout.write(`e2e: undid an abandoned run in ${dir}\n`);
    node = E2eNode.create(cleanup);
    const runtime = await report.step('containerd up, sandbox image imported, bridge chain ready', () => node!.start());
    if (runtime) {
      process.stdout.write(`e2e: runtime: ${runtime}\n`);
      await runScenarios(report, node, cleanup);
    }
  } finally {
    await finish();
  }
  return finish();
}

process.exitCode = await main();
