import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { $Vpc, OpenApi, Vpc } from './helpers.js';

const BIN = fileURLToPath(new URL('../../../../bin/podeip-sim', import.meta.url));
const run = (args: string[]) =>
  promisify(execFile)(process.execPath, [BIN, 'cloud', ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

test('--help lists every flag', async (t) => {
  const { code, stdout } = await run(['--help']);
  t.is(code, 0);
  for (const flag of [
    '--listen',
    '--access-key-id',
    '--access-key-secret',
    '--topology',
    '--association-delay-ms',
    '--latency-ms',
    '--rate-limits',
    '--eip-quota',
    '--faults',
    '--inspect-listen',
    '--metadata-listen',
    '--metadata-instance',
    '--metadata-imdsv2-required',
    '--sts-listen',
    '--sts-cert-out',
  ]) {
    t.true(stdout.includes(flag), flag);
  }
  t.regex(stdout, /podeip-sim-ak/);
});

test('bad flags and files exit 2 with a message naming the flag or field', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'podeip-cli-'));
  const badTopology = join(dir, 'topology.json');
  await writeFile(badTopology, JSON.stringify({ vpcs: [], vswitches: [], instances: [] }));
  const cases: Array<[string[], RegExp]> = [
    [['--nope'], /--nope/],
    [['--eip-quota', 'many'], /--eip-quota/],
    [['--listen', 'localhost'], /--listen/],
    [['--topology', join(dir, 'missing.json')], /--topology .*missing\.json/],
    [['--topology', badTopology], /--topology .*topology\.json is invalid:\n {2}vpcs: /],
    [['--rate-limits', badTopology], /--rate-limits .*topology\.json is invalid:\n {2}vpcs: /],
    [['--faults', badTopology], /--faults .*topology\.json is invalid:\n {2}vpcs: /],
    [['--metadata-instance', 'i-x'], /--metadata-listen/],
  ];
  for (const [args, message] of cases) {
    const { code, stderr } = await run(args);
    t.is(code, 2, args.join(' '));
    t.regex(stderr, message);
  }
});

test('the CLI serves the OpenAPI with the given topology, limits, faults and quota, and stops on SIGTERM', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'podeip-cli-'));
  const files = {
    topology: join(dir, 'topology.json'),
    limits: join(dir, 'limits.json'),
    faults: join(dir, 'faults.json'),
  };
  await writeFile(
    files.topology,
    JSON.stringify({
      vpcs: [{ vpcId: 'vpc-e2e', cidrBlock: '10.244.0.0/16' }],
      vswitches: [{ vSwitchId: 'vsw-e2e', vpcId: 'vpc-e2e', zoneId: 'cn-hangzhou-k', cidrBlock: '10.244.77.0/24' }],
      instances: [
        {
          instanceId: 'i-e2enode',
          vSwitchId: 'vsw-e2e',
          networkInterfaces: [
            {
              networkInterfaceId: 'eni-e2enode',
              type: 'Primary',
              macAddress: '00:16:3e:77:00:01',
              privateIpAddresses: ['10.244.77.2', '10.244.77.10', '10.244.77.11'],
            },
          ],
        },
      ],
    }),
  );
  await writeFile(files.limits, JSON.stringify({ AllocateEipAddress: { limit: 20, windowMs: 1000 } }));
  await writeFile(
    files.faults,
    JSON.stringify({ ReleaseEipAddress: { errors: [{ code: 'InternalError', status: 500, probability: 1 }] } }),
  );
  const child = spawn(
    process.execPath,
    [
      BIN,
      'cloud',
      '--listen',
      '127.0.0.1:0',
      '--inspect-listen',
      '127.0.0.1:0',
      '--topology',
      files.topology,
      '--rate-limits',
      files.limits,
      '--faults',
      files.faults,
      '--eip-quota',
      '1',
      '--association-delay-ms',
      '0',
      '--access-key-id',
      'cli-ak',
      '--access-key-secret',
      'cli-sk',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const started = JSON.parse(line) as { endpoint: string; inspectEndpoint: string; accessKeyId: string };
  t.regex(started.endpoint, /^127\.0\.0\.1:\d+$/);
  t.is(started.accessKeyId, 'cli-ak');

  const vpc = new Vpc(
    new OpenApi.$OpenApiUtil.Config({
      accessKeyId: 'cli-ak',
      accessKeySecret: 'cli-sk',
      regionId: 'cn-hangzhou',
      endpoint: started.endpoint,
      protocol: 'http',
    }),
  );
  const allocated = await vpc.allocateEipAddress(new $Vpc.AllocateEipAddressRequest({ regionId: 'cn-hangzhou' }));
  const allocationId = allocated.body!.allocationId!;
  await vpc.associateEipAddress(
    new $Vpc.AssociateEipAddressRequest({
      regionId: 'cn-hangzhou',
      allocationId,
      instanceId: 'eni-e2enode',
      instanceType: 'NetworkInterface',
      privateIpAddress: '10.244.77.11',
    }),
  );
  const quota = await vpc
    .allocateEipAddress(new $Vpc.AllocateEipAddressRequest({ regionId: 'cn-hangzhou' }))
    .catch((e: { code: string }) => e.code);
  t.is(quota, 'QuotaExceeded.Eip');
  const release = await vpc
    .releaseEipAddress(new $Vpc.ReleaseEipAddressRequest({ regionId: 'cn-hangzhou', allocationId }))
    .catch((e: { code: string }) => e.code);
  t.is(release, 'InternalError');
  const state = (await (await fetch(`http://${started.inspectEndpoint}/state`)).json()) as {
    eips: Array<{ status: string; binding: { privateIpAddress: string } }>;
  };
  t.is(state.eips[0]!.status, 'InUse');
  t.is(state.eips[0]!.binding.privateIpAddress, '10.244.77.11');
  t.deepEqual(await (await fetch(`http://${started.inspectEndpoint}/rate-limits`)).json(), {
    AllocateEipAddress: { limit: 20, windowMs: 1000 },
  });

  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number];
  t.is(code, 0);
});
