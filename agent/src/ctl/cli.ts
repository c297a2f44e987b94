/**
 * podeipctl: what the node's agent holds, read over its unix socket.
 *   podeipctl [status] [--socket PATH] [-o table|json] [--timeout SECONDS]
 */
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { loadAgentService, type Binding, type StatusResponse } from '../../../lib/agent-proto.js';
import { AGENT_VERSION } from '../version.js';

const USAGE = `usage: podeipctl [status] [--socket PATH] [-o table|json] [--timeout SECONDS]
  Lists the EIP bindings the node's podeip-agent holds, its warm pool and the EIP quota.
  --socket   the agent's socket (default /var/run/podeip/agent.sock, or $PODEIP_SOCKET)
  -o         output: table (default) or json
  --timeout  seconds to wait for the agent (default 5)
`;

export async function main(argv: string[]): Promise<void> {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        socket: { type: 'string', default: process.env.PODEIP_SOCKET ?? '/var/run/podeip/agent.sock' },
        output: { type: 'string', short: 'o', default: 'table' },
        timeout: { type: 'string', default: '5' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    fail(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const command = positionals[0] ?? 'status';
  if (command !== 'status') fail(`unknown command "${command}"\n${USAGE}`);
  if (values.output !== 'table' && values.output !== 'json') fail(`-o: "${values.output}" is not one of table, json`);
  const timeoutSeconds = Number(values.timeout);
  if (!(timeoutSeconds > 0)) fail(`--timeout: "${values.timeout}" is not a positive number of seconds`);

  let status: StatusResponse;
  try {
    status = await fetchStatus(values.socket, timeoutSeconds * 1000);
  } catch (err) {
    fail(`cannot get the status from the agent at ${values.socket}: ${(err as Error).message}`);
  }
  process.stdout.write(values.output === 'json' ? `${JSON.stringify(status, null, 2)}\n` : renderTable(status));
}

export async function fetchStatus(socketPath: string, timeoutMs: number): Promise<StatusResponse> {
  const Client = grpc.makeGenericClientConstructor(loadAgentService(), 'Agent');
  const client = new Client(`unix:${socketPath}`, grpc.credentials.createInsecure());
  try {
    return await new Promise<StatusResponse>((resolve, reject) => {
      client.Status({ clientVersion: AGENT_VERSION }, { deadline: Date.now() + timeoutMs }, (err: grpc.ServiceError | null, res: StatusResponse) =>
        (err ? reject(new Error(err.details || err.message)) : resolve(res)));
    });
  } finally {
    client.close();
  }
}

/** The quota and pool lines: how close the account is to its EIP quota, and what the pool holds. */
function renderCapacity(status: StatusResponse): string {
  const lines: string[] = [];
  const q = status.quota;
  if (q) {
    const used = q.used < 0 ? 'not counted yet' : `${q.used} used, ${q.quota - q.used} left`;
    lines.push(`eip quota ${q.quota}  ${used}`);
  }
  const p = status.pool;
  if (p?.enabled) {
    lines.push(`warm pool  idle ${p.idle} (min ${p.minIdle}, max ${p.maxIdle})  taking ${p.taking}  refilling ${p.refilling}`
      + `  returning ${p.returning}  releasing ${p.releasing}  taken since start ${p.takenSinceStart}`);
  } else if (p) {
    lines.push('warm pool  off');
  }
  return lines.map((l) => `${l}\n`).join('');
}

export function renderTable(status: StatusResponse): string {
  const header = `node ${status.nodeName}  instance ${status.instanceId}  agent ${status.agentVersion}  ${status.ready ? 'ready' : 'NOT READY'}  bindings ${status.bindings.length}\n`
    + renderCapacity(status);
  if (status.bindings.length === 0) return `${header}no bindings\n`;
  const columns: Array<[string, (b: Binding) => string]> = [
    ['NAMESPACE', (b) => b.pod.namespace],
    ['POD', (b) => b.pod.name],
    ['MODE', (b) => b.mode],
    ['RELEASE', (b) => (b.releaseAfter ? `${b.releaseStrategy}(${b.releaseAfter})` : b.releaseStrategy)],
    ['STATE', (b) => b.state],
    ['EIP', (b) => b.eipAddress || '-'],
    ['ALLOCATION', (b) => b.allocationId || '-'],
    ['ENI', (b) => b.networkInterfaceId || '-'],
    ['PRIVATE-IP', (b) => b.privateIp || '-'],
    ['SANDBOX', (b) => b.containerId.slice(0, 12)],
    ['ERROR', (b) => b.lastError || ''],
  ];
  const rows = status.bindings.map((b) => columns.map(([, cell]) => cell(b)));
  const widths = columns.map(([title], i) => Math.max(title.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => `${cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()}\n`;
  return header + line(columns.map(([title]) => title)) + rows.map(line).join('');
}

function fail(message: string): never {
  process.stderr.write(`podeipctl: ${message}\n`);
  process.exit(2);
}
