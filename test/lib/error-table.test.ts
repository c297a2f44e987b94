import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { AGENT_ERRORS, CniCode, type AgentErrorCode } from '../../lib/error-table.js';
import { packageRoot } from '../../lib/package-root.js';
import { grpcStatusFor } from '../../agent/src/server/status-codes.js';
import { BINDING_ERROR_CODES } from '../../agent/src/domain/errors.js';
import { cniErrorFromAgent } from '../../cni-plugin/src/agent-errors.js';
import { GrpcCallError, GrpcStatus } from '../../cni-plugin/src/grpc-status.js';
import { ERROR_CODE_TRAILER } from '../../lib/agent-contract.js';

const codes = Object.keys(AGENT_ERRORS) as AgentErrorCode[];

/** The rows of the "CNI code | podeip code" table of docs/troubleshooting.md: CNI code by each podeip code named. */
function documentedCodes(): Map<string, number> {
  const text = readFileSync(join(packageRoot(), 'docs/troubleshooting.md'), 'utf8');
  const start = text.indexOf('| CNI code | podeip code |');
  if (start < 0) throw new Error('docs/troubleshooting.md has no "| CNI code | podeip code |" table');
  const rows = text.slice(start).split('\n').slice(2);
  const documented = new Map<string, number>();
  for (const row of rows) {
    if (!row.startsWith('|')) break;
    const [, cni, names] = row.split('|');
    for (const [, name] of names!.matchAll(/`(\w+)`/g)) documented.set(name!, Number(cni!.trim()));
  }
  return documented;
}

test('docs/troubleshooting.md gives every agent error code the CNI code of the error table', (t) => {
  const documented = documentedCodes();
  for (const code of codes) t.is(documented.get(code), AGENT_ERRORS[code].cni, `${code} in docs/troubleshooting.md`);
});

test("docs/troubleshooting.md's rows are the error table's: CNI code, code, meaning, what to do", (t) => {
  const text = readFileSync(join(packageRoot(), 'docs/troubleshooting.md'), 'utf8');
  const rows = codes
    .map((code) => ({ code, ...AGENT_ERRORS[code] }))
    .sort((a, b) => a.cni - b.cni)
    .map((spec) => `| ${spec.cni} | \`${spec.code}\` | ${spec.meaning} | ${spec.fix} |`);
  t.true(
    text.includes(rows.join('\n')),
    `docs/troubleshooting.md should hold these rows, in this order:\n${rows.join('\n')}`,
  );
});

test("docs/troubleshooting.md names no code outside the error table, besides the plugin's own for an unreachable agent", (t) => {
  for (const [name, cni] of documentedCodes()) {
    if (name in AGENT_ERRORS) continue;
    t.regex(name, /^Agent[A-Z_]+$/, `${name} is in docs/troubleshooting.md but not in lib/error-table.ts`);
    t.is(cni, CniCode.tryAgainLater, `${name}: the plugin's code for a gRPC status without a trailer`);
  }
});

test("the agent's gRPC status and the plugin's CNI code for each code are the table's", (t) => {
  for (const code of codes) {
    const spec = AGENT_ERRORS[code];
    t.is(grpcStatusFor(code), status[spec.grpc], code);
    t.is(Number(GrpcStatus[spec.grpc]), Number(status[spec.grpc]), `${spec.grpc}: the plugin's number is grpc-js's`);
    const error = new GrpcCallError(GrpcStatus[spec.grpc], `${code} happened`, { [ERROR_CODE_TRAILER]: code });
    const cni = cniErrorFromAgent('Attach', error, '/run/podeip.sock', 110);
    t.is(cni.cniCode, spec.cni, `${code}: CNI code`);
    t.is(cni.cniCode === CniCode.tryAgainLater, spec.retryable, `${code}: retryable means CNI 11`);
    t.is(cni.code, code, `${code}: the plugin reports the agent's code`);
    t.true(cni.details.endsWith(`; what to do: ${spec.fix}`), `${code}: the details end with what to do`);
  }
});

test('every code the binding service throws is in the error table, and unknown codes are INTERNAL', (t) => {
  for (const code of BINDING_ERROR_CODES) t.true(code in AGENT_ERRORS, code);
  t.is(grpcStatusFor('NoSuchCode'), status.INTERNAL);
  t.is(grpcStatusFor('toString'), status.INTERNAL, 'an inherited property is no code');
});
