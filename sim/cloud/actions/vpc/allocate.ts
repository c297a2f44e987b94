import { CloudApiError, invalidParameter } from '../../errors.js';
import { IPV4 } from '../../ipv4.js';
import type { Params } from '../../params.js';
import { applyTags, validateTags } from '../../state/tags.js';
import { type ActionContext, type ApiAction, VPC_VERSION } from '../types.js';

export const ISPS = [
  'BGP',
  'BGP_PRO',
  'ChinaTelecom',
  'ChinaUnicom',
  'ChinaMobile',
  'ChinaTelecom_L2',
  'ChinaUnicom_L2',
  'ChinaMobile_L2',
  'BGP_FinanceCloud',
  'BGP_International',
] as const;
export const INTERNET_CHARGE_TYPES = ['PayByBandwidth', 'PayByTraffic'] as const;
const INSTANCE_CHARGE_TYPES = ['PostPaid', 'PrePaid'] as const;
const SECURITY_PROTECTION_TYPES = ['AntiDDoS_Enhanced'] as const;

/** Bandwidth limits in Mbit/s by charge type, as documented. */
export function bandwidthRange(chargeType: string, internetChargeType: string): { min: number; max: number } {
  if (chargeType === 'PrePaid') return { min: 1, max: 1000 };
  return internetChargeType === 'PayByTraffic' ? { min: 1, max: 200 } : { min: 1, max: 500 };
}

/** Name (0-128) and Description (0-256) must not start with http:// or https://. */
export function validateText(params: Params, name: string, maxLength: number): string | undefined {
  const value = params.raw[name];
  if (value === undefined) return undefined;
  if (value.length > maxLength) throw invalidParameter(name, `at most ${maxLength} characters, got ${value.length}`);
  if (/^https?:\/\//i.test(value)) throw invalidParameter(name, 'must not start with http:// or https://');
  return value;
}

function allocate(ctx: ActionContext, pro: boolean): Record<string, unknown> {
  const { params, state } = ctx;
  const internetChargeType = params.enumOf('InternetChargeType', INTERNET_CHARGE_TYPES) ?? 'PayByBandwidth';
  const chargeType = params.enumOf('InstanceChargeType', INSTANCE_CHARGE_TYPES) ?? 'PostPaid';
  const bandwidth = params.int('Bandwidth', bandwidthRange(chargeType, internetChargeType)) ?? 5;
  const isp = params.enumOf('ISP', ISPS) ?? 'BGP';
  params.enumOf('Netmode', ['public']);
  let expiresAt: number | undefined;
  if (chargeType === 'PrePaid') {
    if (internetChargeType !== 'PayByBandwidth')
      throw invalidParameter('InternetChargeType', 'PrePaid EIPs must use PayByBandwidth');
    const cycle = params.enumOf('PricingCycle', ['Month', 'Year']) ?? 'Month';
    const period = params.int('Period', cycle === 'Month' ? { min: 1, max: 9 } : { min: 1, max: 5 });
    if (period === undefined)
      throw new CloudApiError(
        'MissingParameter',
        400,
        'The input parameter "Period" that is mandatory for PrePaid EIPs is not supplied.',
      );
    params.bool('AutoPay');
    expiresAt = state.now() + period * (cycle === 'Month' ? 30 : 365) * 86_400_000;
  }
  const name = pro ? '' : (validateText(params, 'Name', 128) ?? '');
  const description = pro ? '' : (validateText(params, 'Description', 256) ?? '');
  const protection = params.list('SecurityProtectionTypes', 10);
  if (protection.length > 1) throw invalidParameter('SecurityProtectionTypes', 'at most one value is allowed');
  for (const [i, p] of protection.entries()) {
    if (!(SECURITY_PROTECTION_TYPES as readonly string[]).includes(p)) {
      throw invalidParameter(
        `SecurityProtectionTypes.${i + 1}`,
        `"${p}" is not one of ${SECURITY_PROTECTION_TYPES.join(', ')}`,
      );
    }
  }
  const tags = validateTags(params.tags(20));
  const resourceGroupId = params.optional('ResourceGroupId') ?? state.topology.resourceGroupIds[0]!;
  if (!state.topology.resourceGroupIds.includes(resourceGroupId)) {
    throw new CloudApiError('InvalidResourceGroupId', 400, `The resource group "${resourceGroupId}" does not exist.`);
  }
  const publicIpAddressPoolId = params.optional('PublicIpAddressPoolId') ?? '';
  if (publicIpAddressPoolId !== '' && !state.eips.hasPool(publicIpAddressPoolId)) {
    throw new CloudApiError(
      'ResourceNotFound.PublicIpAddressPool',
      404,
      `The public IP address pool "${publicIpAddressPoolId}" does not exist.`,
    );
  }
  const wanted = wantedAddress(ctx, pro, publicIpAddressPoolId);
  if (state.eips.count() >= state.eipQuota) {
    throw new CloudApiError(
      'QuotaExceeded.Eip',
      400,
      `The account already holds ${state.eips.count()} EIPs, the quota is ${state.eipQuota}.`,
    );
  }
  const eip = state.eips.allocate(
    {
      regionId: ctx.regionId,
      bandwidth,
      internetChargeType,
      chargeType,
      isp,
      netmode: 'public',
      name,
      description,
      resourceGroupId,
      publicIpAddressPoolId,
      securityProtectionTypes: protection,
      zone: params.optional('Zone') ?? '',
      ...(expiresAt === undefined ? {} : { expiresAt }),
    },
    wanted,
  );
  applyTags(eip.tags, tags, eip.allocationId);
  return {
    AllocationId: eip.allocationId,
    EipAddress: eip.ipAddress,
    ResourceGroupId: eip.resourceGroupId,
    ...(chargeType === 'PrePaid' ? { OrderId: String(210_000_000_000_000 + state.eips.count()) } : {}),
  };
}

/** IpAddress asks for a specific address; AllocateEipAddressPro's InstanceId re-creates a released EIP. */
function wantedAddress(
  ctx: ActionContext,
  pro: boolean,
  poolId: string,
): { ipAddress?: string; allocationId?: string } {
  const { params, state } = ctx;
  const previous = pro ? params.optional('InstanceId') : undefined;
  let ipAddress = params.optional('IpAddress');
  if (previous !== undefined) {
    if (state.eips.get(previous)) throw new CloudApiError('ReserveIpFail', 400, `The EIP ${previous} still exists.`);
    const address = state.eips.releasedAddressOf(previous);
    if (address === undefined)
      throw new CloudApiError(
        'ReserveIpFail',
        400,
        `No released EIP ${previous} is known; its address cannot be reserved.`,
      );
    if (ipAddress !== undefined && ipAddress !== address)
      throw invalidParameter('IpAddress', `EIP ${previous} had ${address}, not ${ipAddress}`);
    ipAddress = address;
  }
  if (ipAddress === undefined) return {};
  if (!IPV4.test(ipAddress)) throw invalidParameter('IpAddress', `"${ipAddress}" is not an IPv4 address`);
  if (!state.eips.inPool(ipAddress, poolId) || state.eips.isAddressInUse(ipAddress)) {
    throw new CloudApiError(
      'ReserveIpFail',
      400,
      `The address ${ipAddress} cannot be reserved: it is in use or outside the address block.`,
    );
  }
  return previous === undefined ? { ipAddress } : { ipAddress, allocationId: previous };
}

export const allocateEipAddress: ApiAction = {
  name: 'AllocateEipAddress',
  version: VPC_VERSION,
  idempotent: true,
  run: (ctx) => allocate(ctx, false),
};

export const allocateEipAddressPro: ApiAction = {
  name: 'AllocateEipAddressPro',
  version: VPC_VERSION,
  idempotent: true,
  run: (ctx) => allocate(ctx, true),
};
