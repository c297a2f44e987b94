/**
 * npm run bench:fleet -- --nodes N --pods-per-node M [--scale 4] [--latency-ms 80]
 *                        [--association-ms 1500] [--interval-ms 5000] [--account-reserve 0.05] [--trace]
 *
 * A burst of N x M EIP pods at once across N nodes, run twice in one process: with the fleet
 * budget (coordinated shares) and with today's fixed share and AIMD (the baseline). Prints
 * figures; never passes or fails on them.
 */
import { parseArgs } from 'node:util';
import { runFleet, type FleetFigures } from './fleet-run.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '10' },
    'pods-per-node': { type: 'string', default: '5' },
    scale: { type: 'string', default: '4' },
    'latency-ms': { type: 'string', default: '80' },
    'association-ms': { type: 'string', default: '1500' },
    'interval-ms': { type: 'string', default: '5000' },
    'account-reserve': { type: 'string', default: '0.05' },
    trace: { type: 'boolean', default: false },
  },
});

function positive(flag: string, text: string | undefined, integer: boolean): number {
  const n = Number(text);
  if (!(n > 0) || (integer && !Number.isInteger(n))) {
    console.error(`--${flag} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
}

const nodes = positive('nodes', values.nodes, true);
const podsPerNode = positive('pods-per-node', values['pods-per-node'], true);
const scale = positive('scale', values.scale, false);
const latencyMs = Number(values['latency-ms']);
const associationMs = positive('association-ms', values['association-ms'], false);
const intervalMs = positive('interval-ms', values['interval-ms'], false);
const accountReserve = Number(values['account-reserve']);
if (!(accountReserve >= 0 && accountReserve < 1)) {
  console.error(`--account-reserve must be a fraction in [0, 1), got ${values['account-reserve']}`);
  process.exit(2);
}

console.log(`bench:fleet: ${nodes} nodes x ${podsPerNode} EIP pods = ${nodes * podsPerNode} pods at once`);
console.log(
  "real: per node the agent's cloud client (official SDK over HTTP), rate limiter, fleet budget, poller, kube gateway",
);
console.log(
  '  (client-node, Lease elector), SQLite journal and BindingService; one `podeip-sim cloud` and one `podeip-sim kube`,',
);
console.log('  each its own process, answering over HTTP.');
console.log(
  'simulated: nodes are in-process instances (not processes); the CNI plugin and gRPC hop are skipped (BindingService.attach',
);
console.log(
  '  is called directly, with the CNI deadline as its signal, retried on "try again later" as kubelet does).',
);
console.log(
  `time scaled 1/${scale}: documented budgets (e.g. 120 calls per ${60 / scale} s), ${latencyMs / scale} ms per call,`,
);
console.log(
  `  ${associationMs / scale} ms association, ${intervalMs / scale} ms coordination interval, ${100 / scale} s CNI deadline;`,
);
console.log(
  '  "per minute" figures are per scaled minute. The GC Lease elector keeps its real 2 s retry period (not scaled).',
);
console.log(`account reserve ${accountReserve}; per-node cap cloud.rateLimitShare 0.5 (default)\n`);

const short: Record<string, string> = {
  AllocateEipAddress: 'Alloc',
  AssociateEipAddress: 'Assoc',
  DescribeEipAddresses: 'Desc',
  DescribeNetworkInterfaces: 'DescENI',
  TagResources: 'Tag',
  UnassociateEipAddress: 'Unassoc',
  ReleaseEipAddress: 'Release',
};

const rows: FleetFigures[] = [];
for (const coordinated of [true, false]) {
  const row = await runFleet({
    nodes,
    podsPerNode,
    coordinated,
    scale,
    latencyMs,
    associationMs,
    intervalMs,
    accountReserve,
    ...(values.trace ? { traceEveryMs: intervalMs / scale } : {}),
  });
  rows.push(row);
  if (values.trace) printTimeline(row);
}

/** --trace: per coordination interval, nodes under the plan, pods bound, and each action's answered calls. */
function printTimeline(row: FleetFigures): void {
  console.log(
    `timeline (${row.scheme}): time, nodes coordinated, pods bound, per action successes/throttled in the interval`,
  );
  for (const s of row.timeline) {
    const calls = Object.entries(s.calls)
      .map(([a, [ok, th]]) => `${short[a] ?? a} ${ok}/${th}`)
      .join(', ');
    console.log(
      `  ${(s.atMs / 1000).toFixed(2).padStart(7)} s  coordinated ${String(s.coordinated).padStart(4)}  bound ${String(s.bound).padStart(5)}  ${calls}`,
    );
  }
  console.log('');
}

const header = [
  'scheme',
  'all bound / budget bound (<=1.15)',
  'throttled (<=5%)',
  'pods w/ errors (0)',
  'never bound (0)',
  'Jain (>=0.95)',
  'slowest/median',
  'p50 / p99 attach',
  'calls per attach',
  'API req/node/min burst / idle',
];
const pct = (a: number, b: number) => `${((100 * a) / Math.max(1, b)).toFixed(1)}%`;
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const table = rows.map((r) => [
  r.scheme === 'fleet' ? 'fleet budget' : 'baseline (fixed share + AIMD)',
  `${sec(r.allBoundMs)} / ${sec(r.budgetBoundMs)} = ${r.ratio}`,
  `${r.throttled} / ${r.cloudCalls} = ${pct(r.throttled, r.cloudCalls)}`,
  `${r.podsWithErrors}${r.podsWithErrors ? ` ${JSON.stringify(r.errorCodes)}` : ''}`,
  String(r.neverBound),
  String(r.jain),
  String(r.slowestOverMedian),
  `${sec(r.p50Ms)} / ${sec(r.p99Ms)}`,
  Object.entries(r.callsPerAttach)
    .map(([a, n]) => `${short[a] ?? a} ${n}`)
    .join(', '),
  `${r.apiPerNodeMinuteBurst} / ${r.apiPerNodeMinuteIdle}`,
]);
console.log(`| N | M | ${header.join(' | ')} |`);
console.log(`|---|---|${header.map(() => '---').join('|')}|`);
for (const row of table) console.log(`| ${nodes} | ${podsPerNode} | ${row.join(' | ')} |`);
console.log(
  `\n"try again later" answers (ADD past the CNI deadline, retried): fleet ${rows[0]!.tryAgain}, baseline ${rows[1]!.tryAgain}`,
);
