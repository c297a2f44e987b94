/**
 * podeipctl: what the node's agent holds, read over its unix socket.
 *   podeipctl [status] [--socket PATH] [-o table|json] [--timeout SECONDS]   (--help)
 */
import * as grpc from '@grpc/grpc-js';
import { loadAgentService, type Binding, type StatusResponse } from '../../../lib/agent-proto.js';
import { AGENT_VERSION } from '../version.js';
import { CliUsageError, exitWithUsageError, helpText, parseCommandLine, type CommandSpec } from '../../../lib/cli.js';
import { closest } from '../../../lib/did-you-mean.js';

/** The generic client's untyped Status method, as this command calls it. */
type StatusCall = (
  req: { clientVersion: string },
  options: grpc.CallOptions,
  done: (err: grpc.ServiceError | null, res: StatusResponse) => void,
) => void;

export const DEFAULT_SOCKET = '/var/run/podeip/agent.sock';

export const PODEIPCTL: CommandSpec = {
  command: 'podeipctl',
  args: '[status]',
  summary:
    "Lists the EIP bindings the node's podeip-agent holds, its warm pool and the EIP quota, read over its unix socket.",
  flags: {
    socket: {
      type: 'string',
      value: 'PATH',
      help: `the agent's socket (config agent.socketPath); $PODEIP_SOCKET sets it too`,
      default: DEFAULT_SOCKET,
    },
    output: { type: 'string', short: 'o', value: 'FORMAT', help: 'table or json', default: 'table' },
    timeout: { type: 'string', value: 'SECONDS', help: 'how long to wait for the agent', default: '5' },
  },
  footer:
    "Commands: status (the default). On a node, run it in the agent's pod: kubectl -n kube-system exec ds/podeip-agent -- podeipctl",
};

export async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseCommandLine(
      {
        ...PODEIPCTL,
        flags: {
          ...PODEIPCTL.flags,
          socket: { ...PODEIPCTL.flags.socket!, default: process.env.PODEIP_SOCKET || DEFAULT_SOCKET },
        },
      },
      argv,
      { positionals: true },
    );
  } catch (err) {
    if (err instanceof CliUsageError) exitWithUsageError(err);
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(helpText(PODEIPCTL));
    return;
  }
  const values = parsed.values as { socket: string; output: string; timeout: string };
  const command = parsed.positionals[0] ?? 'status';
  if (command !== 'status')
    fail(
      `unknown command "${command}"${closest(command, ['status']) ? '; did you mean status?' : ''} (podeipctl --help)`,
    );
  if (values.output !== 'table' && values.output !== 'json') fail(`-o: "${values.output}" is not one of table, json`);
  const timeoutSeconds = Number(values.timeout);
  if (!(timeoutSeconds > 0)) fail(`--timeout: "${values.timeout}" is not a positive number of seconds`);

  let status: StatusResponse;
  try {
    status = await fetchStatus(values.socket, timeoutSeconds * 1000);
  } catch (err) {
    fail(
      `no podeip-agent answered on ${values.socket} (${(err as Error).message}).\n` +
        '  Is the agent running on this node? Point podeipctl at its socket with --socket PATH or PODEIP_SOCKET=PATH ' +
        '(the agent\'s config agent.socketPath; podeip-sim up prints it as "socket:").',
    );
  }
  process.stdout.write(values.output === 'json' ? `${JSON.stringify(status, null, 2)}\n` : renderTable(status));
}

export async function fetchStatus(socketPath: string, timeoutMs: number): Promise<StatusResponse> {
  const Client = grpc.makeGenericClientConstructor(loadAgentService(), 'Agent');
  const client = new Client(`unix:${socketPath}`, grpc.credentials.createInsecure());
  try {
    return await new Promise<StatusResponse>((resolve, reject) => {
      (client as unknown as { Status: StatusCall }).Status(
        { clientVersion: AGENT_VERSION },
        { deadline: Date.now() + timeoutMs },
        (err: grpc.ServiceError | null, res: StatusResponse) =>
          err ? reject(new Error(describeGrpcError(err))) : resolve(res),
      );
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
    lines.push(
      `warm pool  idle ${p.idle} (min ${p.minIdle}, max ${p.maxIdle})  taking ${p.taking}  refilling ${p.refilling}` +
        `  returning ${p.returning}  releasing ${p.releasing}  taken since start ${p.takenSinceStart}`,
    );
  } else if (p) {
    lines.push('warm pool  off');
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** grpc-js appends resolver notes ("Resolution note: ...") to its details; people need the first line. */
function describeGrpcError(err: grpc.ServiceError): string {
  const details = (err.details || err.message).split(/\s*Resolution note:/)[0]!.trim();
  return details || grpc.status[err.code] || 'unknown error';
}

export function renderTable(status: StatusResponse): string {
  const header =
    `node ${status.nodeName}  instance ${status.instanceId}  agent ${status.agentVersion}  ${status.ready ? 'ready' : 'NOT READY'}  bindings ${status.bindings.length}\n` +
    renderCapacity(status);
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
  const line = (cells: string[]): string =>
    `${cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd()}\n`;
  return header + line(columns.map(([title]) => title)) + rows.map(line).join('');
}

function fail(message: string): never {
  process.stderr.write(`podeipctl: ${message}\n`);
  process.exit(2);
}
