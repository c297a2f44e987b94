import { invalidParameter } from '../../errors.js';
import { isoSeconds } from '../../ids.js';
import type { EipRecord } from '../../state/eips.js';
import { matchesTags } from '../../state/tags.js';
import { type ApiAction, VPC_VERSION } from '../types.js';
import { ISPS } from './allocate.js';

const STATUSES = ['Associating', 'Unassociating', 'InUse', 'Available', 'Releasing'] as const;

/** One EipAddress entry exactly as DescribeEipAddresses returns it. */
function describe(e: EipRecord, bandwidthOf: (id: string) => number | undefined): Record<string, unknown> {
  const b = e.binding;
  const inPackage =
    e.bandwidthPackage?.status === 'BINDED' || e.bandwidthPackage?.status === 'UNBINDING'
      ? e.bandwidthPackage
      : undefined;
  return {
    AllocationId: e.allocationId,
    IpAddress: e.ipAddress,
    Status: e.status,
    InstanceId: b?.instanceId ?? '',
    InstanceType: b?.instanceType ?? '',
    InstanceRegionId: b ? e.regionId : '',
    // The cloud leaves PrivateIpAddress empty when the EIP forwards to an ENI's primary IP.
    PrivateIpAddress: b && !b.isPrimaryIp ? b.privateIpAddress : '',
    Mode: b?.mode ?? '',
    VpcId: b?.vpcId ?? '',
    Bandwidth: String(e.bandwidth),
    EipBandwidth: String(e.bandwidth),
    InternetChargeType: e.internetChargeType,
    ChargeType: e.chargeType,
    ISP: e.isp,
    Netmode: e.netmode,
    RegionId: e.regionId,
    Name: e.name,
    Description: e.description,
    ResourceGroupId: e.resourceGroupId,
    PublicIpAddressPoolId: e.publicIpAddressPoolId,
    BandwidthPackageId: inPackage?.bandwidthPackageId ?? '',
    BandwidthPackageType: inPackage ? 'CommonBandwidthPackage' : '',
    BandwidthPackageBandwidth: inPackage ? String(bandwidthOf(inPackage.bandwidthPackageId) ?? '') : '',
    AllocationTime: isoSeconds(e.allocatedAt),
    ExpiredTime: e.expiresAt === undefined ? '' : isoSeconds(e.expiresAt),
    BusinessStatus: 'Normal',
    DeletionProtection: false,
    SecondLimited: false,
    ServiceManaged: 0,
    Zone: e.zone,
    OperationLocks: { LockReason: [] },
    SecurityProtectionTypes: { SecurityProtectionType: [...e.securityProtectionTypes] },
    Tags: { Tag: [...e.tags].map(([Key, Value]) => ({ Key, Value })) },
  };
}

export const describeEipAddresses: ApiAction = {
  name: 'DescribeEipAddresses',
  version: VPC_VERSION,
  idempotent: false,
  run(ctx) {
    const { params, state } = ctx;
    const ids = params.commaList('AllocationId', 50);
    const addresses = params.commaList('EipAddress', 50);
    const status = params.enumOf('Status', STATUSES);
    const associatedType = params.optional('AssociatedInstanceType');
    const associatedId = params.optional('AssociatedInstanceId');
    const isp = params.enumOf('ISP', ISPS);
    const chargeType = params.enumOf('ChargeType', ['PostPaid', 'PrePaid']);
    const name = params.optional('EipName');
    const resourceGroupId = params.optional('ResourceGroupId');
    const poolId = params.optional('PublicIpAddressPoolId');
    const pageNumber = params.int('PageNumber', { min: 1, max: 1_000_000 }) ?? 1;
    const pageSize = params.int('PageSize', { min: 1, max: 100 }) ?? 10;
    const tagFilters = params.tags(20).map((t) => {
      if (!t.key) throw invalidParameter(`${t.field}.Key`, 'a tag filter needs a key');
      return { key: t.key, value: t.value };
    });
    let from: number | undefined;
    let to: number | undefined;
    for (const f of params.tags(10, 'Filter')) {
      const at = Date.parse(f.value ?? '');
      if (f.key === 'CreationStartTime' || f.key === 'CreationEndTime') {
        if (Number.isNaN(at))
          throw invalidParameter(`${f.field}.Value`, `"${f.value ?? ''}" is not a time such as 2026-01-01T00:00Z`);
        if (f.key === 'CreationStartTime') from = at;
        else to = at;
      } else {
        throw invalidParameter(`${f.field}.Key`, `"${f.key ?? ''}" is not CreationStartTime or CreationEndTime`);
      }
    }
    const matching = state.eips
      .list()
      .filter(
        (e) =>
          e.regionId === ctx.regionId &&
          (ids === undefined || ids.includes(e.allocationId)) &&
          (addresses === undefined || addresses.includes(e.ipAddress)) &&
          (status === undefined || e.status === status) &&
          (associatedType === undefined || e.binding?.instanceType === associatedType) &&
          (associatedId === undefined || e.binding?.instanceId === associatedId) &&
          (isp === undefined || e.isp === isp) &&
          (chargeType === undefined || e.chargeType === chargeType) &&
          (name === undefined || e.name === name) &&
          (resourceGroupId === undefined || e.resourceGroupId === resourceGroupId) &&
          (poolId === undefined || e.publicIpAddressPoolId === poolId) &&
          (from === undefined || e.allocatedAt >= from) &&
          (to === undefined || e.allocatedAt <= to) &&
          matchesTags(e.tags, tagFilters),
      );
    const page = matching.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
    return {
      TotalCount: matching.length,
      PageNumber: pageNumber,
      PageSize: pageSize,
      EipAddresses: { EipAddress: page.map((e) => describe(e, (id) => state.bandwidthPackage(id)?.bandwidth)) },
    };
  },
};
