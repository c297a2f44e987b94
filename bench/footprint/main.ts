/**
 * bench:footprint: what podeip costs a node, each figure next to a reference measured in the same
 * run, as a ratio, plus the absolute values. The plugin is timed from exec to exit as the
 * runtime runs it (fresh process, CNI env only), runs of each case interleaved with its
 * reference so drift hits both. The agent runs as a real process against the simulators.
 * Prints figures; never passes or fails on them.
 *
 *   npm run bench:footprint -- [--runs 15] [--bindings 256] [--cycles 10000] [--skip-agent]
 *
 * The cycles run 16 pods at once; each writes the journal with fsync and talks to both
 * simulators, so 10,000 take long on a busy 2-core machine: --cycles sets fewer.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PLUGIN_VERSION } from '../../cni-plugin/src/plugin-version.js';
import { FixtureAgent } from '../../test/cni-plugin/fixture-agent.js';
import { cniEnv, netConf, PLUGIN_BINARY, runPlugin } from '../../test/cni-plugin/run-plugin.js';
import { agentFootprint, type AgentFigures } from './agent.js';
import { formatTable, median, type Row } from './table.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    bindings: { type: 'string', default: '256' },
    cycles: { type: 'string', default: '10000' },
    'skip-agent': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);

/** A Go reference plugin, as containernetworking/plugins installs it. */
const GO_REFERENCE = ['/opt/cni/bin/bridge', '/usr/lib/cni/bridge'].find((path) => existsSync(path));

async function execMs(binary: string, args: string[], env: Record<string, string>, stdin: string): Promise<number> {
  const run = await runPlugin(env, stdin, binary, args);
  if (run.exitCode !== 0)
    throw new Error(`${binary} ${args.join(' ')} failed (exit ${run.exitCode}): ${run.stdout} ${run.stderr}`);
  return run.ms;
}

interface Timed {
  name: string;
  run: () => Promise<number>;
}

/** Every case once per round, in turn, after one warm-up round; medians per case. */
async function interleaved(cases: Timed[]): Promise<Map<string, number>> {
  for (const c of cases) await c.run();
  const samples = new Map(cases.map((c) => [c.name, [] as number[]]));
  for (let round = 0; round < runs; round++) {
    for (const c of cases) samples.get(c.name)!.push(await c.run());
  }
  return new Map([...samples].map(([name, times]) => [name, median(times)]));
}

async function pluginRows(): Promise<Row[]> {
  const agent = await FixtureAgent.start();
  try {
    const noEip = netConf({ socketPath: agent.socketPath, annotations: {} });
    const eip = netConf({
      socketPath: agent.socketPath,
      annotations: { 'network.alibabacloud.com/pod-with-eip': 'true' },
    });
    const cases: Timed[] = [
      { name: 'node -e 0', run: () => execMs(process.execPath, ['-e', '0'], {}, '') },
      { name: 'ADD no EIP', run: () => execMs(PLUGIN_BINARY, [], cniEnv({ command: 'ADD' }), noEip) },
      { name: 'DEL no EIP', run: () => execMs(PLUGIN_BINARY, [], cniEnv({ command: 'DEL' }), noEip) },
      { name: 'CHECK no EIP', run: () => execMs(PLUGIN_BINARY, [], cniEnv({ command: 'CHECK' }), noEip) },
      { name: 'ADD one Attach', run: () => execMs(PLUGIN_BINARY, [], cniEnv({ command: 'ADD' }), eip) },
      ...(GO_REFERENCE
        ? [
            {
              name: 'Go bridge VERSION',
              run: () => execMs(GO_REFERENCE, [], { CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}'),
            },
          ]
        : []),
    ];
    const ms = await interleaved(cases);
    const node = ms.get('node -e 0')!;
    const go = ms.get('Go bridge VERSION');
    const rows: Row[] = [];
    for (const name of ['ADD no EIP', 'DEL no EIP', 'CHECK no EIP']) {
      rows.push({
        what: `plugin, ${name} (annotations known), exec to exit`,
        value: ms.get(name)!,
        unit: 'ms',
        reference: 'node -e 0',
        referenceValue: node,
        target: '<= 0.50x',
      });
      if (go !== undefined)
        rows.push({
          what: `  the same, against the Go reference plugin`,
          value: ms.get(name)!,
          unit: 'ms',
          reference: 'Go bridge VERSION',
          referenceValue: go,
          target: 'stretch <= 2x',
        });
    }
    rows.push({
      what: 'plugin, ADD with one Attach (fixture agent answers at once)',
      value: ms.get('ADD one Attach')!,
      unit: 'ms',
      reference: 'node -e 0',
      referenceValue: node,
      target: '<= 1.00x',
    });
    rows.push({
      what: 'plugin executable size',
      value: statSync(PLUGIN_BINARY).size / 1e6,
      unit: 'MB',
      reference: 'node binary',
      referenceValue: statSync(process.execPath).size / 1e6,
    });
    return rows;
  } finally {
    agent.stop();
  }
}

function agentRows(figures: AgentFigures): Row[] {
  const bare = figures.bareNodeRssMiB;
  const rows: Row[] = [
    {
      what: 'agent start to ready, empty journal (wall)',
      value: figures.startToReadyMs,
      unit: 'ms',
      reference: 'node -e 0',
      referenceValue: figures.nodeBootMs,
      target: '<= 1000 ms',
    },
    {
      what: 'agent CPU from start to ready',
      value: figures.startCpuMs,
      unit: 'ms',
      reference: 'node -e 0',
      referenceValue: figures.nodeBootMs,
    },
    {
      what: 'agent RSS idle, both SDKs ready',
      value: figures.idleRssMiB,
      unit: 'MiB',
      reference: 'bare node process',
      referenceValue: bare,
      target: '<= 120 MiB',
    },
    {
      what: 'agent idle CPU (share of one core)',
      value: figures.idleCpuPercent,
      unit: '%',
      reference: '',
      referenceValue: undefined,
      target: '< 1 %',
    },
    {
      what: `agent RSS with ${figures.bindings} bindings`,
      value: figures.boundRssMiB,
      unit: 'MiB',
      reference: 'bare node process',
      referenceValue: bare,
      target: '<= 140 MiB',
    },
    {
      what: `agent start to ready, ${figures.bindings} journal rows (wall)`,
      value: figures.restartToReadyMs,
      unit: 'ms',
      reference: 'node -e 0',
      referenceValue: figures.nodeBootMs,
      target: '<= 2000 ms',
    },
  ];
  if (figures.cycles > 0) {
    rows.push({
      what: `agent RSS after ${figures.cycles} attach/detach cycles`,
      value: figures.cyclesRssMiB,
      unit: 'MiB',
      reference: 'bare node process',
      referenceValue: bare,
      target: '<= 140 MiB',
    });
    rows.push({
      what: `  RSS slope over the cycles (least squares, after the first 10%)`,
      value: figures.slopeMiBPer1kCycles,
      unit: 'MiB/1k cycles',
      reference: '',
      referenceValue: undefined,
      target: '~0',
    });
  }
  return rows;
}

async function main(): Promise<void> {
  process.stdout.write(
    `bench:footprint: podeip ${PLUGIN_VERSION}, node ${process.version}, ${runs} interleaved runs per plugin case (medians)\n`,
  );
  // The plugin's table first: the agent's part takes minutes (bindings, restart, cycles).
  process.stdout.write(formatTable(await pluginRows()));
  if (!values['skip-agent']) {
    const dir = mkdtempSync(join(tmpdir(), 'podeip-bench-footprint-'));
    try {
      process.stdout.write(
        formatTable(
          agentRows(
            await agentFootprint({
              dir,
              bindings: Number(values.bindings),
              cycles: Number(values.cycles),
              progress: (line) => process.stderr.write(`${line}\n`),
            }),
          ),
        ),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (!GO_REFERENCE)
    process.stdout.write(
      '(no Go reference plugin at /opt/cni/bin/bridge or /usr/lib/cni/bridge: install containernetworking-plugins for that row)\n',
    );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
