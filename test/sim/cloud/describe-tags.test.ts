import test from 'ava';
import { $Vpc, allocate, sdkError, startSim, vpcClient, waitForStatus } from './helpers.js';

const R = 'cn-hangzhou';
const describe = (fields: Partial<$Vpc.DescribeEipAddressesRequest>) =>
  new $Vpc.DescribeEipAddressesRequest({ regionId: R, ...fields });
const tag = (key: string, value: string) => new $Vpc.AllocateEipAddressRequestTag({ key, value });

test('DescribeEipAddresses pages (PageSize <= 100), filters by id list (<= 50), status and Tag.N', async (t) => {
  const sim = await startSim(t, { eipQuota: 200 });
  const vpc = vpcClient(sim);
  const ids: string[] = [];
  for (let i = 0; i < 60; i++) {
    ids.push(
      (await allocate(vpc, { tag: [tag('podeip.io/cluster', 'c1'), tag('podeip.io/node', i % 2 ? 'odd' : 'even')] }))
        .allocationId,
    );
  }
  await allocate(vpc, { name: 'user-owned' });

  const first = await vpc.describeEipAddresses(describe({ pageSize: 25 }));
  t.like(first.body, { totalCount: 61, pageNumber: 1, pageSize: 25 });
  t.is(first.body!.eipAddresses!.eipAddress!.length, 25);
  const last = await vpc.describeEipAddresses(describe({ pageSize: 25, pageNumber: 3 }));
  t.is(last.body!.eipAddresses!.eipAddress!.length, 11);
  const beyond = await vpc.describeEipAddresses(describe({ pageSize: 25, pageNumber: 9 }));
  t.deepEqual(beyond.body!.eipAddresses!.eipAddress, []);
  const defaults = await vpc.describeEipAddresses(describe({}));
  t.like(defaults.body, { pageSize: 10, pageNumber: 1 });

  t.is((await sdkError(t, vpc.describeEipAddresses(describe({ pageSize: 101 })))).code, 'InvalidParameter');
  const tooMany = await sdkError(t, vpc.describeEipAddresses(describe({ allocationId: ids.slice(0, 51).join(',') })));
  t.regex(tooMany.message, /AllocationId/);
  const fifty = await vpc.describeEipAddresses(describe({ allocationId: ids.slice(0, 50).join(','), pageSize: 100 }));
  t.is(fifty.body!.totalCount, 50);

  const odd = await vpc.describeEipAddresses(
    describe({
      pageSize: 100,
      tag: [
        new $Vpc.DescribeEipAddressesRequestTag({ key: 'podeip.io/cluster', value: 'c1' }),
        new $Vpc.DescribeEipAddressesRequestTag({ key: 'podeip.io/node', value: 'odd' }),
      ],
    }),
  );
  t.is(odd.body!.totalCount, 30);
  t.true(
    odd.body!.eipAddresses!.eipAddress!.every((e) =>
      e.tags!.tag!.some((x) => x.key === 'podeip.io/node' && x.value === 'odd'),
    ),
  );
  const anyNode = await vpc.describeEipAddresses(
    describe({ pageSize: 100, tag: [new $Vpc.DescribeEipAddressesRequestTag({ key: 'podeip.io/node' })] }),
  );
  t.is(anyNode.body!.totalCount, 60);

  const byName = await vpc.describeEipAddresses(describe({ eipName: 'user-owned' }));
  t.is(byName.body!.totalCount, 1);
  const byAddress = await vpc.describeEipAddresses(describe({ eipAddress: '47.96.0.1,47.96.0.2' }));
  t.is(byAddress.body!.totalCount, 2);
  t.is((await sdkError(t, vpc.describeEipAddresses(describe({ status: 'Gone' })))).code, 'InvalidParameter');
});

test('Describe by association and status; unknown ids give an empty array, never an error', async (t) => {
  const sim = await startSim(t);
  const vpc = vpcClient(sim);
  const bound = await allocate(vpc);
  await allocate(vpc);
  await vpc.associateEipAddress(
    new $Vpc.AssociateEipAddressRequest({
      regionId: R,
      allocationId: bound.allocationId,
      instanceId: 'eni-bp1podeipsim021',
      instanceType: 'NetworkInterface',
      privateIpAddress: '192.168.0.52',
    }),
  );
  await waitForStatus(vpc, bound.allocationId, 'InUse');
  const inUse = await vpc.describeEipAddresses(describe({ status: 'InUse' }));
  t.deepEqual(
    inUse.body!.eipAddresses!.eipAddress!.map((e) => e.allocationId),
    [bound.allocationId],
  );
  const byEni = await vpc.describeEipAddresses(
    describe({ associatedInstanceType: 'NetworkInterface', associatedInstanceId: 'eni-bp1podeipsim021' }),
  );
  t.is(byEni.body!.totalCount, 1);
  const none = await vpc.describeEipAddresses(describe({ allocationId: 'eip-bp1unknown' }));
  t.like(none.body, { totalCount: 0 });
  t.deepEqual(none.body!.eipAddresses!.eipAddress, []);
});

test('TagResources, ListTagResources and UntagResources on EIPs', async (t) => {
  const sim = await startSim(t);
  const vpc = vpcClient(sim);
  const a = await allocate(vpc, { tag: [tag('owner', 'podeip')] });
  const b = await allocate(vpc);
  await vpc.tagResources(
    new $Vpc.TagResourcesRequest({
      regionId: R,
      resourceType: 'eip',
      resourceId: [a.allocationId, b.allocationId],
      tag: [
        new $Vpc.TagResourcesRequestTag({ key: 'podeip.io/pod', value: 'ns/web-0' }),
        new $Vpc.TagResourcesRequestTag({ key: 'empty', value: '' }),
      ],
    }),
  );
  const listed = await vpc.listTagResources(
    new $Vpc.ListTagResourcesRequest({ regionId: R, resourceType: 'EIP', resourceId: [a.allocationId] }),
  );
  t.deepEqual(
    listed.body!.tagResources!.tagResource!.map((r) => [r.resourceId, r.resourceType, r.tagKey, r.tagValue]),
    [
      [a.allocationId, 'EIP', 'owner', 'podeip'],
      [a.allocationId, 'EIP', 'podeip.io/pod', 'ns/web-0'],
      [a.allocationId, 'EIP', 'empty', ''],
    ],
  );
  const byTag = await vpc.listTagResources(
    new $Vpc.ListTagResourcesRequest({
      regionId: R,
      resourceType: 'EIP',
      tag: [new $Vpc.ListTagResourcesRequestTag({ key: 'owner', value: 'podeip' })],
    }),
  );
  t.deepEqual(
    byTag.body!.tagResources!.tagResource!.map((r) => r.resourceId),
    [a.allocationId],
  );

  const page1 = await vpc.listTagResources(
    new $Vpc.ListTagResourcesRequest({
      regionId: R,
      resourceType: 'EIP',
      resourceId: [a.allocationId, b.allocationId],
      maxResults: 2,
    }),
  );
  t.is(page1.body!.tagResources!.tagResource!.length, 2);
  t.truthy(page1.body!.nextToken);
  const rest = [];
  let token = page1.body!.nextToken;
  while (token) {
    const page = await vpc.listTagResources(
      new $Vpc.ListTagResourcesRequest({
        regionId: R,
        resourceType: 'EIP',
        resourceId: [a.allocationId, b.allocationId],
        maxResults: 2,
        nextToken: token,
      }),
    );
    rest.push(...page.body!.tagResources!.tagResource!);
    token = page.body!.nextToken;
  }
  t.is(rest.length, 3);

  await vpc.unTagResources(
    new $Vpc.UnTagResourcesRequest({
      regionId: R,
      resourceType: 'EIP',
      resourceId: [a.allocationId],
      tagKey: ['empty', 'owner'],
    }),
  );
  t.deepEqual(sim.state.eips.get(a.allocationId)!.tags, new Map([['podeip.io/pod', 'ns/web-0']]));
  await vpc.unTagResources(
    new $Vpc.UnTagResourcesRequest({ regionId: R, resourceType: 'EIP', resourceId: [b.allocationId], all: true }),
  );
  t.is(sim.state.eips.get(b.allocationId)!.tags.size, 0);

  const errors: Array<[Promise<unknown>, string, RegExp]> = [
    [
      vpc.tagResources(
        new $Vpc.TagResourcesRequest({ regionId: R, resourceType: 'EIP', resourceId: [a.allocationId] }),
      ),
      'MissingParameter',
      /Tag\.1\.Key/,
    ],
    [
      vpc.tagResources(
        new $Vpc.TagResourcesRequest({
          regionId: R,
          resourceType: 'VPC',
          resourceId: [a.allocationId],
          tag: [new $Vpc.TagResourcesRequestTag({ key: 'k', value: 'v' })],
        }),
      ),
      'InvalidParameter',
      /ResourceType/,
    ],
    [
      vpc.tagResources(
        new $Vpc.TagResourcesRequest({
          regionId: R,
          resourceType: 'EIP',
          resourceId: ['eip-bp1nope'],
          tag: [new $Vpc.TagResourcesRequestTag({ key: 'k', value: 'v' })],
        }),
      ),
      'InvalidResourceId.NotFound',
      /eip-bp1nope/,
    ],
    [
      vpc.tagResources(
        new $Vpc.TagResourcesRequest({
          regionId: R,
          resourceType: 'EIP',
          resourceId: [a.allocationId],
          tag: [new $Vpc.TagResourcesRequestTag({ key: 'acs:x', value: 'v' })],
        }),
      ),
      'InvalidTagKey',
      /Tag\.1\.Key/,
    ],
    [
      vpc.listTagResources(new $Vpc.ListTagResourcesRequest({ regionId: R, resourceType: 'EIP' })),
      'MissingParameter',
      /ResourceId/,
    ],
    [
      vpc.listTagResources(
        new $Vpc.ListTagResourcesRequest({
          regionId: R,
          resourceType: 'EIP',
          tag: [new $Vpc.ListTagResourcesRequestTag({ value: 'v' })],
        }),
      ),
      'InvalidParameter',
      /Tag\.1\.Key/,
    ],
    [
      vpc.unTagResources(
        new $Vpc.UnTagResourcesRequest({ regionId: R, resourceType: 'EIP', resourceId: [a.allocationId] }),
      ),
      'MissingParameter',
      /TagKey/,
    ],
  ];
  for (const [call, code, message] of errors) {
    const error = await sdkError(t, call);
    t.is(error.code, code);
    t.regex(error.message, message);
  }
});

test('a resource carries at most 20 tags; TagResources past that changes nothing', async (t) => {
  const sim = await startSim(t);
  const vpc = vpcClient(sim);
  const full = await allocate(vpc, { tag: Array.from({ length: 19 }, (_, i) => tag(`k${i}`, 'v')) });
  const roomy = await allocate(vpc);
  const error = await sdkError(
    t,
    vpc.tagResources(
      new $Vpc.TagResourcesRequest({
        regionId: R,
        resourceType: 'EIP',
        resourceId: [roomy.allocationId, full.allocationId],
        tag: [
          new $Vpc.TagResourcesRequestTag({ key: 'x1', value: 'v' }),
          new $Vpc.TagResourcesRequestTag({ key: 'x2', value: 'v' }),
        ],
      }),
    ),
  );
  t.is(error.code, 'QuotaExceeded.TagNum');
  t.is(sim.state.eips.get(roomy.allocationId)!.tags.size, 0);
  await vpc.tagResources(
    new $Vpc.TagResourcesRequest({
      regionId: R,
      resourceType: 'EIP',
      resourceId: [full.allocationId],
      tag: [
        new $Vpc.TagResourcesRequestTag({ key: 'k0', value: 'overwritten' }),
        new $Vpc.TagResourcesRequestTag({ key: 'x1', value: 'v' }),
      ],
    }),
  );
  t.is(sim.state.eips.get(full.allocationId)!.tags.size, 20);
  t.is(sim.state.eips.get(full.allocationId)!.tags.get('k0'), 'overwritten');
});

test('Add/RemoveCommonBandwidthPackageIp go through BINDING to BINDED and show in Describe', async (t) => {
  const sim = await startSim(t, { associationDelayMs: 60_000 });
  const vpc = vpcClient(sim);
  const { allocationId } = await allocate(vpc);
  const packageStatus = () => sim.state.eips.get(allocationId)!.bandwidthPackage?.status;
  await vpc.addCommonBandwidthPackageIp(
    new $Vpc.AddCommonBandwidthPackageIpRequest({
      regionId: R,
      bandwidthPackageId: 'cbwp-bp1podeipsim0001',
      ipInstanceId: allocationId,
      ipType: 'EIP',
    }),
  );
  t.is(packageStatus(), 'BINDING');
  const during = await waitForStatus(vpc, allocationId, 'Available');
  t.is(during?.bandwidthPackageId, '');
  t.is(
    (
      await sdkError(
        t,
        vpc.associateEipAddress(
          new $Vpc.AssociateEipAddressRequest({ regionId: R, allocationId, instanceId: 'i-bp1podeipsim0001' }),
        ),
      )
    ).code,
    'TaskConflict',
  );
  sim.state.scheduler.flush();
  t.is(packageStatus(), 'BINDED');
  const bound = await waitForStatus(vpc, allocationId, 'Available');
  t.like(bound, {
    bandwidthPackageId: 'cbwp-bp1podeipsim0001',
    bandwidthPackageType: 'CommonBandwidthPackage',
    bandwidthPackageBandwidth: '1000',
  });

  const twice = await sdkError(
    t,
    vpc.addCommonBandwidthPackageIp(
      new $Vpc.AddCommonBandwidthPackageIpRequest({
        regionId: R,
        bandwidthPackageId: 'cbwp-bp1podeipsim0001',
        ipInstanceId: allocationId,
      }),
    ),
  );
  t.is(twice.code, 'OperationFailed.EipAlreadyInCbwp');
  const notThere = await sdkError(
    t,
    vpc.removeCommonBandwidthPackageIp(
      new $Vpc.RemoveCommonBandwidthPackageIpRequest({
        regionId: R,
        bandwidthPackageId: 'cbwp-bp1podeipsim0002',
        ipInstanceId: allocationId,
      }),
    ),
  );
  t.is(notThere.code, 'OperationUnsupported.IpNotInCbwp');
  await vpc.removeCommonBandwidthPackageIp(
    new $Vpc.RemoveCommonBandwidthPackageIpRequest({
      regionId: R,
      bandwidthPackageId: 'cbwp-bp1podeipsim0001',
      ipInstanceId: allocationId,
    }),
  );
  t.is(packageStatus(), 'UNBINDING');
  sim.state.scheduler.flush();
  t.is(packageStatus(), undefined);
  t.is((await waitForStatus(vpc, allocationId, 'Available'))?.bandwidthPackageId, '');

  const errors: Array<[Promise<unknown>, string, number]> = [
    [
      vpc.addCommonBandwidthPackageIp(
        new $Vpc.AddCommonBandwidthPackageIpRequest({
          regionId: R,
          bandwidthPackageId: 'cbwp-bp1nope',
          ipInstanceId: allocationId,
        }),
      ),
      'InvalidBandwidthPackageId.NotFound',
      404,
    ],
    [
      vpc.addCommonBandwidthPackageIp(
        new $Vpc.AddCommonBandwidthPackageIpRequest({
          regionId: R,
          bandwidthPackageId: 'cbwp-bp1podeipsim0001',
          ipInstanceId: 'eip-bp1nope',
        }),
      ),
      'InvalidInstanceId.NotFound',
      400,
    ],
    [
      vpc.addCommonBandwidthPackageIp(
        new $Vpc.AddCommonBandwidthPackageIpRequest({
          regionId: R,
          bandwidthPackageId: 'cbwp-bp1podeipsim0002',
          ipInstanceId: allocationId,
        }),
      ),
      'OperationFailed.IspNotMatch',
      400,
    ],
    [
      vpc.addCommonBandwidthPackageIp(
        new $Vpc.AddCommonBandwidthPackageIpRequest({
          regionId: R,
          bandwidthPackageId: 'cbwp-bp1podeipsim0001',
          ipInstanceId: allocationId,
          dryRun: true,
        }),
      ),
      'DryRunOperation',
      400,
    ],
    [
      vpc.addCommonBandwidthPackageIp(
        new $Vpc.AddCommonBandwidthPackageIpRequest({ regionId: R, ipInstanceId: allocationId }),
      ),
      'MissingParameter',
      400,
    ],
  ];
  for (const [call, code, status] of errors) {
    const error = await sdkError(t, call);
    t.is(error.code, code);
    t.is(error.statusCode, status);
  }
  t.is(sim.state.eips.get(allocationId)!.bandwidthPackage, undefined);
});
