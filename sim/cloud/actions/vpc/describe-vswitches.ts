import { type ApiAction, VPC_VERSION } from '../types.js';

export const describeVSwitches: ApiAction = {
  name: 'DescribeVSwitches',
  version: VPC_VERSION,
  idempotent: false,
  regionAlternative: 'VpcId',
  run(ctx) {
    const { params, state } = ctx;
    const { topology, network } = state;
    const id = params.optional('VSwitchId');
    const vpcId = params.optional('VpcId');
    const zoneId = params.optional('ZoneId');
    const name = params.optional('VSwitchName');
    const resourceGroupId = params.optional('ResourceGroupId');
    params.bool('IsDefault');
    const pageNumber = params.int('PageNumber', { min: 1, max: 1_000_000 }) ?? 1;
    const pageSize = params.int('PageSize', { min: 1, max: 50 }) ?? 10;
    const defaultGroup = topology.resourceGroupIds[0]!;
    const matching = topology.vswitches.filter(
      (v) =>
        (id === undefined || v.vSwitchId === id) &&
        (vpcId === undefined || v.vpcId === vpcId) &&
        (zoneId === undefined || v.zoneId === zoneId) &&
        (name === undefined || v.name === name) &&
        (resourceGroupId === undefined || resourceGroupId === defaultGroup),
    );
    const used = (vSwitchId: string): number =>
      network
        .allNetworkInterfaces()
        .filter((e) => e.vSwitchId === vSwitchId)
        .reduce((n, e) => n + e.eni.privateIpAddresses.length, 0);
    return {
      TotalCount: matching.length,
      PageNumber: pageNumber,
      PageSize: pageSize,
      VSwitches: {
        VSwitch: matching.slice((pageNumber - 1) * pageSize, pageNumber * pageSize).map((v) => {
          const size = 2 ** (32 - Number(v.cidrBlock.split('/')[1]));
          return {
            VSwitchId: v.vSwitchId,
            VpcId: v.vpcId,
            ZoneId: v.zoneId,
            CidrBlock: v.cidrBlock,
            Ipv6CidrBlock: '',
            // The cloud reserves the first and the last three addresses of every vSwitch.
            AvailableIpAddressCount: Math.max(0, size - 4 - used(v.vSwitchId)),
            Status: 'Available',
            VSwitchName: v.name,
            Description: '',
            IsDefault: false,
            ResourceGroupId: defaultGroup,
            CreationTime: '2026-01-01T00:00:00Z',
            NetworkAclId: '',
            OwnerId: Number(topology.accountId),
            RouteTable: { RouteTableId: `vtb-${v.vpcId.slice(4)}`, RouteTableType: 'System' },
            Tags: { Tag: [] },
          };
        }),
      },
    };
  },
};
