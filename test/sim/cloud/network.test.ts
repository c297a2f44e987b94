import test from 'ava';
import { $Ecs, $Vpc, ecsClient, sdkError, startSim, vpcClient } from './helpers.js';

const R = 'cn-hangzhou';
const enis = (fields: Partial<$Ecs.DescribeNetworkInterfacesRequest>) =>
  new $Ecs.DescribeNetworkInterfacesRequest({ regionId: R, ...fields });

test('the default topology: 3 instances, each a primary and two secondary ENIs with 10 IPs each', async (t) => {
  const sim = await startSim(t);
  const res = await ecsClient(sim).describeNetworkInterfaces(enis({ maxResults: 100 }));
  const sets = res.body!.networkInterfaceSets!.networkInterfaceSet!;
  t.is(sets.length, 9);
  t.deepEqual(
    [...new Set(sets.map((s) => s.instanceId))],
    ['i-bp1podeipsim0001', 'i-bp1podeipsim0002', 'i-bp1podeipsim0003'],
  );
  for (const s of sets) {
    t.is(s.privateIpSets!.privateIpSet!.length, 10);
    t.is(s.privateIpSets!.privateIpSet![0]!.primary, true);
    t.is(s.privateIpAddress, s.privateIpSets!.privateIpSet![0]!.privateIpAddress);
  }
  t.deepEqual(
    sets.filter((s) => s.type === 'Primary').map((s) => s.networkInterfaceId),
    ['eni-bp1podeipsim010', 'eni-bp1podeipsim020', 'eni-bp1podeipsim030'],
  );
  t.like(sets[1], {
    networkInterfaceId: 'eni-bp1podeipsim011',
    type: 'Secondary',
    status: 'InUse',
    macAddress: '00:16:3e:00:01:01',
    vSwitchId: 'vsw-bp1podeipsim0001',
    vpcId: 'vpc-bp1podeipsim0001',
    zoneId: 'cn-hangzhou-h',
    privateIpAddress: '192.168.0.21',
  });
  t.like(sets[1]!.attachment, { instanceId: 'i-bp1podeipsim0001', deviceIndex: 1 });
});

test('DescribeNetworkInterfaces filters: secondary IPs, primary IP, instance, type, ids', async (t) => {
  const sim = await startSim(t);
  const ecs = ecsClient(sim);
  const ids = async (fields: Partial<$Ecs.DescribeNetworkInterfacesRequest>) =>
    (await ecs.describeNetworkInterfaces(enis(fields))).body!.networkInterfaceSets!.networkInterfaceSet!.map(
      (s) => s.networkInterfaceId,
    );
  t.deepEqual(await ids({ privateIpAddress: ['192.168.0.55'] }), ['eni-bp1podeipsim021']);
  t.deepEqual(await ids({ privateIpAddress: ['192.168.0.55', '192.168.0.99'] }), [
    'eni-bp1podeipsim021',
    'eni-bp1podeipsim032',
  ]);
  t.deepEqual(await ids({ privateIpAddress: ['192.168.0.51'] }), [], 'PrivateIpAddress.N matches secondary IPs only');
  t.deepEqual(await ids({ primaryIpAddress: '192.168.0.51' }), ['eni-bp1podeipsim021']);
  t.deepEqual(await ids({ instanceId: 'i-bp1podeipsim0003', type: 'Secondary' }), [
    'eni-bp1podeipsim031',
    'eni-bp1podeipsim032',
  ]);
  t.deepEqual(await ids({ networkInterfaceId: ['eni-bp1podeipsim012', 'eni-bp1nothere'] }), ['eni-bp1podeipsim012']);
  t.deepEqual(await ids({ vSwitchId: 'vsw-other' }), []);
  const badType = await sdkError(t, ecs.describeNetworkInterfaces(enis({ type: 'Trunk' })));
  t.is(badType.code, 'InvalidParameter');
  t.like(badType.data, {
    HostId: 'ecs-cn-hangzhou.aliyuncs.com',
    Recommend: 'https://api.aliyun.com/troubleshoot?q=InvalidParameter&product=Ecs',
  });
  const tooMany = await sdkError(
    t,
    ecs.describeNetworkInterfaces(enis({ networkInterfaceId: Array.from({ length: 101 }, (_, i) => `eni-${i}`) })),
  );
  t.regex(tooMany.message, /NetworkInterfaceId\.101/);
});

test('DescribeNetworkInterfaces with the legacy HMAC-SHA1 signature and list parameters', async (t) => {
  const sim = await startSim(t);
  const res = await ecsClient(sim, { signatureAlgorithm: 'v2' }).describeNetworkInterfaces(
    enis({ privateIpAddress: ['192.168.0.12', '192.168.0.85'], maxResults: 50 }),
  );
  t.deepEqual(
    res.body!.networkInterfaceSets!.networkInterfaceSet!.map((s) => s.networkInterfaceId),
    ['eni-bp1podeipsim010', 'eni-bp1podeipsim031'],
  );
});

test('DescribeNetworkInterfaces pages with NextToken; MaxResults is clamped to 10..500', async (t) => {
  const sim = await startSim(t);
  const ecs = ecsClient(sim);
  const small = await ecs.describeNetworkInterfaces(enis({ maxResults: 2 }));
  t.is(small.body!.networkInterfaceSets!.networkInterfaceSet!.length, 9, 'MaxResults below 10 counts as 10');
  t.is(small.body!.nextToken, '');

  const topology = {
    vpcs: [{ vpcId: 'vpc-big', cidrBlock: '10.0.0.0/8' }],
    vswitches: [{ vSwitchId: 'vsw-big', vpcId: 'vpc-big', zoneId: 'cn-hangzhou-k', cidrBlock: '10.0.0.0/16' }],
    instances: Array.from({ length: 25 }, (_, n) => ({
      instanceId: `i-big${n}`,
      vSwitchId: 'vsw-big',
      networkInterfaces: [
        {
          networkInterfaceId: `eni-big${n}`,
          type: 'Primary',
          macAddress: `00:16:3e:10:00:${n.toString(16).padStart(2, '0')}`,
          privateIpAddresses: [`10.0.1.${n + 1}`],
        },
      ],
    })),
  };
  const big = await startSim(t, { topology });
  const client = ecsClient(big);
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await client.describeNetworkInterfaces(
      enis({ maxResults: 10, ...(token ? { nextToken: token } : {}) }),
    );
    seen.push(...page.body!.networkInterfaceSets!.networkInterfaceSet!.map((s) => s.networkInterfaceId!));
    token = page.body!.nextToken || undefined;
    pages++;
  } while (token);
  t.is(pages, 3);
  t.deepEqual(
    seen,
    Array.from({ length: 25 }, (_, n) => `eni-big${n}`),
  );
  const bad = await sdkError(t, client.describeNetworkInterfaces(enis({ nextToken: 'forged' })));
  t.is(bad.code, 'InvalidNextToken.Malformed');
});

test("DescribeVSwitches lists the topology's vSwitches; PageSize is at most 50", async (t) => {
  const sim = await startSim(t);
  const vpc = vpcClient(sim);
  const res = await vpc.describeVSwitches(new $Vpc.DescribeVSwitchesRequest({ regionId: R }));
  t.like(res.body, { totalCount: 1, pageNumber: 1, pageSize: 10 });
  const vsw = res.body!.vSwitches!.vSwitch![0]!;
  t.like(vsw, {
    vSwitchId: 'vsw-bp1podeipsim0001',
    vpcId: 'vpc-bp1podeipsim0001',
    zoneId: 'cn-hangzhou-h',
    cidrBlock: '192.168.0.0/24',
    status: 'Available',
    availableIpAddressCount: 162,
  });
  const byVpc = await vpc.describeVSwitches(new $Vpc.DescribeVSwitchesRequest({ vpcId: 'vpc-bp1podeipsim0001' }));
  t.is(byVpc.body!.totalCount, 1);
  const none = await vpc.describeVSwitches(new $Vpc.DescribeVSwitchesRequest({ regionId: R, zoneId: 'cn-hangzhou-z' }));
  t.deepEqual(none.body!.vSwitches!.vSwitch, []);
  t.is(
    (await sdkError(t, vpc.describeVSwitches(new $Vpc.DescribeVSwitchesRequest({ regionId: R, pageSize: 51 })))).code,
    'InvalidParameter',
  );
  t.is((await sdkError(t, vpc.describeVSwitches(new $Vpc.DescribeVSwitchesRequest({})))).code, 'MissingParameter');
});
