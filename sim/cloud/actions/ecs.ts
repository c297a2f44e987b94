import { invalidParameter } from '../errors.js';
import type { NetworkInterfaceView } from '../state/network.js';
import { type ApiAction, ECS_VERSION } from './types.js';

const STATUSES = ['Available', 'Attaching', 'InUse', 'Detaching', 'Deleting'] as const;

export const describeNetworkInterfaces: ApiAction = {
  name: 'DescribeNetworkInterfaces',
  version: ECS_VERSION,
  idempotent: false,
  run(ctx) {
    const { params, state } = ctx;
    const ids = params.list('NetworkInterfaceId', 100);
    const secondaryIps = params.list('PrivateIpAddress', 100);
    const primaryIp = params.optional('PrimaryIpAddress');
    const instanceId = params.optional('InstanceId');
    const vSwitchId = params.optional('VSwitchId');
    const vpcId = params.optional('VpcId');
    const type = params.enumOf('Type', ['Primary', 'Secondary']);
    const status = params.enumOf('Status', STATUSES);
    const securityGroupId = params.optional('SecurityGroupId');
    params.list('Ipv6Address', 100);
    const resourceGroupId = params.optional('ResourceGroupId');
    const defaultGroup = state.topology.resourceGroupIds[0]!;
    const matching = state.network.allNetworkInterfaces().filter(
      (v) =>
        (ids.length === 0 || ids.includes(v.eni.networkInterfaceId)) &&
        // PrivateIpAddress.N matches secondary IPs; the primary one is PrimaryIpAddress's filter.
        (secondaryIps.length === 0 || v.eni.privateIpAddresses.slice(1).some((ip) => secondaryIps.includes(ip))) &&
        (primaryIp === undefined || v.primaryIp === primaryIp) &&
        (instanceId === undefined || v.instance.instanceId === instanceId) &&
        (vSwitchId === undefined || v.vSwitchId === vSwitchId) &&
        (vpcId === undefined || v.vpcId === vpcId) &&
        (type === undefined || v.eni.type === type) &&
        (status === undefined || status === 'InUse') &&
        (securityGroupId === undefined || v.eni.securityGroupIds.includes(securityGroupId)) &&
        (resourceGroupId === undefined || resourceGroupId === defaultGroup) &&
        params.tags(20).length === 0,
    );

    const pageMode =
      params.optional('MaxResults') === undefined &&
      params.optional('NextToken') === undefined &&
      (params.optional('PageNumber') !== undefined || params.optional('PageSize') !== undefined);
    if (pageMode) {
      const pageNumber = params.int('PageNumber', { min: 1, max: 1_000_000 }) ?? 1;
      const pageSize = params.int('PageSize', { min: 1, max: 1000 }) ?? 10;
      return {
        TotalCount: matching.length,
        PageNumber: pageNumber,
        PageSize: pageSize,
        NextToken: '',
        NetworkInterfaceSets: {
          NetworkInterfaceSet: matching
            .slice((pageNumber - 1) * pageSize, pageNumber * pageSize)
            .map((v) => describe(ctx.state, v)),
        },
      };
    }
    const requested = params.int('MaxResults', { min: -1_000_000, max: 1_000_000 }) ?? 10;
    const maxResults = Math.min(500, Math.max(10, requested));
    const token = params.optional('NextToken');
    const start = token === undefined ? 0 : decodeToken(token, matching.length);
    const end = start + maxResults;
    return {
      NextToken: end < matching.length ? Buffer.from(`eni:${end}`).toString('base64url') : '',
      TotalCount: matching.length,
      NetworkInterfaceSets: { NetworkInterfaceSet: matching.slice(start, end).map((v) => describe(ctx.state, v)) },
    };
  },
};

function decodeToken(token: string, total: number): number {
  const match = /^eni:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  const offset = match ? Number(match[1]) : Number.NaN;
  if (!(offset >= 0 && offset <= total))
    throw invalidParameter('NextToken', `"${token}" was not issued by this service`, 'InvalidNextToken.Malformed');
  return offset;
}

function describe(state: Parameters<ApiAction['run']>[0]['state'], v: NetworkInterfaceView): Record<string, unknown> {
  const publicIp = (ip: string): Record<string, string> => {
    const eip = state.eips.holderOf(ip);
    return eip && eip.status === 'InUse'
      ? { PublicIpAddress: eip.ipAddress, AllocationId: eip.allocationId }
      : { PublicIpAddress: '', AllocationId: '' };
  };
  return {
    NetworkInterfaceId: v.eni.networkInterfaceId,
    Type: v.eni.type,
    Status: 'InUse',
    InstanceId: v.instance.instanceId,
    MacAddress: v.eni.macAddress,
    PrivateIpAddress: v.primaryIp,
    VSwitchId: v.vSwitchId,
    VpcId: v.vpcId,
    ZoneId: v.zoneId,
    Description: '',
    NetworkInterfaceName: '',
    ResourceGroupId: state.topology.resourceGroupIds[0],
    CreationTime: '2026-01-01T00:00:00Z',
    OwnerId: state.topology.accountId,
    ServiceManaged: false,
    QueueNumber: 1,
    SecurityGroupIds: { SecurityGroupId: [...v.eni.securityGroupIds] },
    Attachment: {
      InstanceId: v.instance.instanceId,
      DeviceIndex: v.deviceIndex,
      NetworkCardIndex: 0,
      TrunkNetworkInterfaceId: '',
    },
    AssociatedPublicIp: publicIp(v.primaryIp),
    PrivateIpSets: {
      PrivateIpSet: v.eni.privateIpAddresses.map((ip, i) => ({
        PrivateIpAddress: ip,
        Primary: i === 0,
        PrivateDnsName: '',
        AssociatedPublicIp: publicIp(ip),
      })),
    },
    Ipv6Sets: { Ipv6Set: [] },
    Ipv4PrefixSets: { Ipv4PrefixSet: [] },
    Tags: { Tag: [] },
  };
}
