/**
 * Entry of the `podeip` executable (compiled with Bun, see cni-plugin/build/build-plugin.ts).
 * The agent contract is compiled in as a protobuf.js JSON descriptor; the agent client and its
 * codec are loaded only when a command needs the agent.
 */
import { readFileSync, writeSync } from 'node:fs';
import type { ConnectAgent } from './agent-api.js';
import { silentLogger } from '../../lib/logger.js';
import { FileLogger } from './file-logger.js';
import { runPlugin } from './plugin.js';

/** agent.proto as protobuf.js JSON, put in by the build (`--define`). */
declare const PODEIP_AGENT_DESCRIPTOR: string;

const connectAgent: ConnectAgent = async (target) => {
  const [{ GrpcAgentClient }, { agentServiceFromDescriptor }] = await Promise.all([
    import('./agent-client.js'),
    import('./agent-service.js'),
  ]);
  const service = agentServiceFromDescriptor(
    JSON.parse(PODEIP_AGENT_DESCRIPTOR) as Parameters<typeof agentServiceFromDescriptor>[0],
  );
  return new GrpcAgentClient(target, service, Date.now());
};

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return ''; // no stdin at all (closed descriptor): the config parser names what is missing
  }
}

async function main(): Promise<void> {
  const output = await runPlugin(process.env, readStdin(), {
    connectAgent,
    createLogger: (logFile) => (logFile === undefined ? silentLogger : new FileLogger(logFile)),
    now: () => Date.now(),
  });
  if (output.stdout !== '') writeSync(1, output.stdout + '\n');
  process.exit(output.exitCode);
}

void main();
