import test from 'ava';
import { defaultTopology, parseTopology } from '../../../sim/cloud/topology.js';
import { SimConfigError } from '../../../sim/cloud/errors.js';
import { $Vpc, allocate, startSim, vpcClient } from './helpers.js';

const small = () => ({
  regionId: 'cn-shanghai',
  eipCidr: '203.0.113.0/28',
  vpcs: [{ vpcId: 'vpc-e2e', cidrBlock: '10.244.0.0/16' }],
  vswitches: [{ vSwitchId: 'vsw-e2e', vpcId: 'vpc-e2e', zoneId: 'cn-shanghai-b', cidrBlock: '10.244.77.0/24' }],
  instances: [
    {
      instanceId: 'i-node1',
      vSwitchId: 'vsw-e2e',
      ramRole: null,
      networkInterfaces: [
        {
          networkInterfaceId: 'eni-node1a',
          type: 'Primary',
          macAddress: '00:16:3e:77:00:01',
          privateIpAddresses: ['10.244.77.2'],
        },
        {
          networkInterfaceId: 'eni-node1b',
          type: 'Secondary',
          macAddress: '00:16:3e:77:00:02',
          privateIpAddresses: ['10.244.77.3', '10.244.77.4'],
        },
      ],
    },
  ],
});

test('the default topology is identical on every start and matches the documented shape', (t) => {
  const a = defaultTopology();
  t.deepEqual(a, defaultTopology());
  t.is(a.regionId, 'cn-hangzhou');
  t.is(a.instances.length, 3);
  t.true(
    a.instances.every(
      (i) => i.networkInterfaces.length === 3 && i.networkInterfaces.every((e) => e.privateIpAddresses.length === 10),
    ),
  );
  t.deepEqual(
    a.bandwidthPackages.map((p) => p.bandwidthPackageId),
    ['cbwp-bp1podeipsim0001', 'cbwp-bp1podeipsim0002'],
  );
});

test('a custom topology sets region, addresses and ENIs', async (t) => {
  const sim = await startSim(t, { topology: small() });
  t.is(sim.regionId, 'cn-shanghai');
  const vpc = vpcClient(sim);
  const res = await vpc.allocateEipAddress(new $Vpc.AllocateEipAddressRequest({ regionId: 'cn-shanghai' }));
  t.is(res.body!.eipAddress, '203.0.113.1');
  const wrongRegion = await vpc
    .allocateEipAddress(new $Vpc.AllocateEipAddressRequest({ regionId: 'cn-hangzhou' }))
    .catch((e: { code: string }) => e.code);
  t.is(wrongRegion, 'Forbidden.RegionNotFound');
  await vpc.associateEipAddress(
    new $Vpc.AssociateEipAddressRequest({
      regionId: 'cn-shanghai',
      allocationId: res.body!.allocationId,
      instanceId: 'eni-node1b',
      instanceType: 'NetworkInterface',
      privateIpAddress: '10.244.77.4',
    }),
  );
  t.is(sim.state.eips.get(res.body!.allocationId!)?.binding?.privateIpAddress, '10.244.77.4');
});

test('the EIP block runs out with ReserveIpFail', async (t) => {
  const topology = { ...small(), regionId: 'cn-hangzhou', eipCidr: '203.0.113.0/30' };
  const sim = await startSim(t, { topology });
  const vpc = vpcClient(sim);
  t.deepEqual([(await allocate(vpc)).eipAddress, (await allocate(vpc)).eipAddress], ['203.0.113.1', '203.0.113.2']);
  t.is(await allocate(vpc).catch((e: { code: string }) => e.code), 'ReserveIpFail');
});

test('topology errors name the field and the fix', (t) => {
  const cases: Array<[(d: ReturnType<typeof small>) => unknown, RegExp]> = [
    [
      (d) => {
        d.instances[0]!.networkInterfaces[1]!.privateIpAddresses = ['10.244.77.2'];
        return d;
      },
      /instances\[0\]\.networkInterfaces\[1\]\.privateIpAddresses\[0\]: 10\.244\.77\.2 is held by another ENI/,
    ],
    [
      (d) => {
        d.instances[0]!.networkInterfaces[1]!.privateIpAddresses = ['10.9.0.1'];
        return d;
      },
      /privateIpAddresses\[0\]: 10\.9\.0\.1 is outside vSwitch vsw-e2e/,
    ],
    [
      (d) => {
        d.instances[0]!.networkInterfaces[1]!.type = 'Primary';
        return d;
      },
      /instances\[0\]\.networkInterfaces: needs exactly one ENI of type Primary/,
    ],
    [
      (d) => {
        d.instances[0]!.vSwitchId = 'vsw-other';
        return d;
      },
      /instances\[0\]\.vSwitchId: no vSwitch "vsw-other"/,
    ],
    [
      (d) => {
        d.vswitches[0]!.vpcId = 'vpc-x';
        return d;
      },
      /vswitches\[0\]\.vpcId: no VPC "vpc-x"/,
    ],
    [
      (d) => {
        d.instances[0]!.networkInterfaces[0]!.macAddress = '00-16';
        return d;
      },
      /instances\[0\]\.networkInterfaces\[0\]\.macAddress: must be a lower-case MAC/,
    ],
    [
      (d) => {
        d.instances[0]!.networkInterfaces[0]!.privateIpAddresses = ['10.244.77.300'];
        return d;
      },
      /privateIpAddresses\[0\]: must be a dotted IPv4 address/,
    ],
    [
      (d) => {
        d.instances[0]!.instanceId = 'node1';
        return d;
      },
      /instances\[0\]\.instanceId: must look like "i-"/,
    ],
    [(d) => ({ ...d, eipCidr: '203.0.113.0' }), /eipCidr: must be an IPv4 CIDR block/],
    [(d) => ({ ...d, zones: [] }), /Unrecognized key: "zones"/],
  ];
  for (const [mutate, message] of cases) {
    const error = t.throws(() => parseTopology(mutate(small()), 'topology.json'), { instanceOf: SimConfigError });
    t.regex(error.message, /^topology\.json is invalid:/);
    t.regex(error.message, message);
  }
});

test('--latency-ms delays every call', async (t) => {
  const sim = await startSim(t, { latencyMs: 300 });
  const vpc = vpcClient(sim);
  const started = Date.now();
  await vpc.describeEipAddresses(new $Vpc.DescribeEipAddressesRequest({ regionId: 'cn-hangzhou' }));
  t.true(Date.now() - started >= 300);
});
