/**
 * Shim exec-to-exit time: the built dist/bin/podeip run as the runtime runs it (fresh process,
 * only CNI env), for a pod without an EIP (annotations known: no agent), with an EIP (one Attach
 * to a gRPC agent fixture) and the second DEL (one Detach), against `node -e 0`, a trivial node
 * script and, when installed, a Go reference plugin. Prints figures; asserts nothing.
 *
 *   npm run bench:shim -- [--runs N]
 */
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FixtureAgent } from '../../test/cni-plugin/fixture-agent.js';
import { cniEnv, netConf, PLUGIN_BINARY, runPlugin } from '../../test/cni-plugin/run-plugin.js';

interface Case {
  name: string;
  run: () => Promise<{ ms: number; exitCode: number | null; stdout: string; stderr: string }>;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function measure(c: Case, runs: number): Promise<number[]> {
  await c.run(); // warm the page cache; not counted
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const result = await c.run();
    if (result.exitCode !== 0)
      throw new Error(`${c.name} failed (exit ${result.exitCode}): ${result.stdout} ${result.stderr}`);
    times.push(result.ms);
  }
  return times.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' } } });
  const runs = Number(values.runs);
  const agent = await FixtureAgent.start();
  const script = join(mkdtempSync(join(tmpdir(), 'podeip-bench-')), 'trivial.cjs');
  writeFileSync(script, "process.stdout.write(require('node:fs').readFileSync(0, 'utf8'));\n");
  const eip = { 'network.alibabacloud.com/pod-with-eip': 'true' };
  const cases: Case[] = [
    { name: 'node -e 0', run: () => runPlugin({}, '', process.execPath, ['-e', '0']) },
    { name: 'node trivial.cjs (echo stdin)', run: () => runPlugin({}, '{}', process.execPath, [script]) },
    { name: 'podeip VERSION', run: () => runPlugin({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}') },
    {
      name: 'podeip ADD, no EIP (annotations known)',
      run: () => runPlugin(cniEnv({ command: 'ADD' }), netConf({ socketPath: agent.socketPath, annotations: {} })),
    },
    {
      name: 'podeip ADD, EIP (1 Attach)',
      run: () => runPlugin(cniEnv({ command: 'ADD' }), netConf({ socketPath: agent.socketPath, annotations: eip })),
    },
    {
      name: 'podeip DEL, 2nd (1 Detach)',
      run: () =>
        runPlugin(cniEnv({ command: 'DEL', netns: '' }), netConf({ socketPath: agent.socketPath, prevResult: null })),
    },
  ];
  if (existsSync('/usr/lib/cni/bridge')) {
    cases.push({
      name: 'Go bridge VERSION (reference)',
      run: () => runPlugin({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}', '/usr/lib/cni/bridge'),
    });
  }
  process.stdout.write(`shim exec-to-exit, ${runs} sequential runs each, env with CNI_* only (${PLUGIN_BINARY})\n`);
  process.stdout.write(`${'case'.padEnd(42)} ${'median'.padStart(8)} ${'p90'.padStart(8)} ${'min'.padStart(8)}\n`);
  let baseline = 0;
  const medians = new Map<string, number>();
  for (const c of cases) {
    const times = await measure(c, runs);
    const median = percentile(times, 50);
    medians.set(c.name, median);
    if (c.name === 'node -e 0') baseline = median;
    const ratio = baseline > 0 && c.name !== 'node -e 0' ? `  ${(median / baseline).toFixed(2)}x node -e 0` : '';
    process.stdout.write(
      `${c.name.padEnd(42)} ${median.toFixed(1).padStart(6)}ms ${percentile(times, 90).toFixed(1).padStart(6)}ms ${times[0]!.toFixed(1).padStart(6)}ms${ratio}\n`,
    );
  }
  const fast = medians.get('podeip ADD, no EIP (annotations known)')!;
  process.stdout.write(
    `one agent call (client + codec load, connect, call) adds ${(medians.get('podeip ADD, EIP (1 Attach)')! - fast).toFixed(1)} ms (Attach), ` +
      `${(medians.get('podeip DEL, 2nd (1 Detach)')! - fast).toFixed(1)} ms (Detach) to the no-EIP path\n`,
  );
  process.stdout.write(
    `agent fixture calls: ${agent.callsOf('Attach').length} Attach, ${agent.callsOf('Detach').length} Detach (expected ${runs + 1} each)\n`,
  );
  agent.stop();
}

await main();
