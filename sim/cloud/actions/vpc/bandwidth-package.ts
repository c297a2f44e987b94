import { CloudApiError } from '../../errors.js';
import type { EipRecord } from '../../state/eips.js';
import type { Topology } from '../../topology.js';
import { type ActionContext, type ApiAction, VPC_VERSION } from '../types.js';

function target(ctx: ActionContext): { pkg: Topology['bandwidthPackages'][number]; eip: EipRecord } {
  const { params, state } = ctx;
  const packageId = params.required('BandwidthPackageId');
  const eipId = params.required('IpInstanceId');
  const pkg = state.bandwidthPackage(packageId);
  if (!pkg)
    throw new CloudApiError(
      'InvalidBandwidthPackageId.NotFound',
      404,
      `The bandwidth package "${packageId}" does not exist.`,
    );
  const eip = state.eips.get(eipId);
  if (!eip) throw new CloudApiError('InvalidInstanceId.NotFound', 400, `The EIP "${eipId}" does not exist.`);
  return { pkg, eip };
}

function dryRun(ctx: ActionContext): void {
  if (ctx.params.bool('DryRun'))
    throw new CloudApiError('DryRunOperation', 400, 'Request validation has been passed with DryRun flag set.');
}

export const addCommonBandwidthPackageIp: ApiAction = {
  name: 'AddCommonBandwidthPackageIp',
  version: VPC_VERSION,
  idempotent: true,
  run(ctx) {
    const { pkg, eip } = target(ctx);
    ctx.params.enumOf('IpType', ['EIP']);
    if (eip.chargeType !== 'PostPaid') {
      throw new CloudApiError(
        'OperationUnsupported.EipChargeType',
        400,
        `Only pay-as-you-go EIPs join a bandwidth package; ${eip.allocationId} is ${eip.chargeType}.`,
      );
    }
    if (eip.isp !== pkg.isp) {
      throw new CloudApiError(
        'OperationFailed.IspNotMatch',
        400,
        `The EIP's ISP ${eip.isp} differs from the bandwidth package's ${pkg.isp}.`,
      );
    }
    if (eip.bandwidthPackage?.status === 'BINDED') {
      throw new CloudApiError(
        'OperationFailed.EipAlreadyInCbwp',
        400,
        `The EIP ${eip.allocationId} is already in ${eip.bandwidthPackage.bandwidthPackageId}.`,
      );
    }
    dryRun(ctx);
    ctx.state.eips.addToBandwidthPackage(eip, pkg.bandwidthPackageId);
    return {};
  },
};

export const removeCommonBandwidthPackageIp: ApiAction = {
  name: 'RemoveCommonBandwidthPackageIp',
  version: VPC_VERSION,
  idempotent: true,
  run(ctx) {
    const { pkg, eip } = target(ctx);
    ctx.state.eips.assertIdle(eip);
    if (eip.bandwidthPackage?.bandwidthPackageId !== pkg.bandwidthPackageId) {
      throw new CloudApiError(
        'OperationUnsupported.IpNotInCbwp',
        400,
        `The EIP ${eip.allocationId} is not in bandwidth package ${pkg.bandwidthPackageId}.`,
      );
    }
    dryRun(ctx);
    ctx.state.eips.removeFromBandwidthPackage(eip);
    return {};
  },
};
