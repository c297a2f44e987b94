import { CloudApiError, eipNotFound, invalidParameter, missingParameter } from '../../errors.js';
import type { EipBinding, EipRecord } from '../../state/eips.js';
import { type ActionContext, type ApiAction, VPC_VERSION } from '../types.js';

const INSTANCE_TYPES = ['EcsInstance', 'NetworkInterface', 'Nat', 'SlbInstance', 'HaVip', 'IpAddress'] as const;
const MODES = ['NAT', 'MULTI_BINDED', 'BINDED'] as const;

export function existingEip(ctx: ActionContext): EipRecord {
  const allocationId = ctx.params.required('AllocationId');
  const eip = ctx.state.eips.get(allocationId);
  if (!eip) throw eipNotFound(allocationId);
  return eip;
}

/** Where the EIP would forward: an ECS instance's primary IP, or a chosen IP of an ENI. */
function resolveTarget(ctx: ActionContext, instanceId: string, instanceType: string, mode: string): EipBinding {
  const { network } = ctx.state;
  const notFound = (): CloudApiError =>
    new CloudApiError(
      'InvalidInstanId.NotFound',
      404,
      `The instance "${instanceId}" (${instanceType}) does not exist.`,
    );
  if (instanceType === 'EcsInstance') {
    const primary = network.primaryInterfaceOf(instanceId);
    if (!primary) throw notFound();
    return {
      instanceId,
      instanceType,
      privateIpAddress: primary.primaryIp,
      isPrimaryIp: true,
      mode,
      vpcId: primary.vpcId,
      networkInterfaceId: primary.eni.networkInterfaceId,
    };
  }
  if (instanceType !== 'NetworkInterface') throw notFound();
  const eni = network.networkInterface(instanceId);
  if (!eni) throw notFound();
  const privateIp = ctx.params.optional('PrivateIpAddress');
  if (privateIp === undefined) throw missingParameter('PrivateIpAddress');
  if (!eni.eni.privateIpAddresses.includes(privateIp)) {
    throw new CloudApiError(
      'InvalidParameter.Mismatch',
      400,
      `The private IP ${privateIp} is not assigned to network interface ${instanceId}.`,
    );
  }
  return {
    instanceId,
    instanceType,
    privateIpAddress: privateIp,
    isPrimaryIp: privateIp === eni.primaryIp,
    mode,
    vpcId: eni.vpcId,
    networkInterfaceId: instanceId,
  };
}

/** The EIP an (un)association names and the instance it names, as both actions read them. */
function eipAndInstance(ctx: ActionContext) {
  return {
    eip: existingEip(ctx),
    instanceId: ctx.params.required('InstanceId'),
    instanceType: ctx.params.enumOf('InstanceType', INSTANCE_TYPES) ?? 'EcsInstance',
  };
}

export const associateEipAddress: ApiAction = {
  name: 'AssociateEipAddress',
  version: VPC_VERSION,
  idempotent: true,
  run(ctx) {
    const { params, state } = ctx;
    const { eip, instanceId, instanceType } = eipAndInstance(ctx);
    const mode = params.enumOf('Mode', MODES) ?? 'NAT';
    const binding = resolveTarget(ctx, instanceId, instanceType, mode);
    const holder = state.eips.holderOf(binding.privateIpAddress);
    if (holder && holder !== eip) {
      throw new CloudApiError(
        'InvalidAssociation.Duplicated',
        400,
        `The private IP ${binding.privateIpAddress} of ${instanceId} is already associated with ${holder.allocationId}.`,
      );
    }
    state.eips.associate(eip, binding);
    return {};
  },
};

export const unassociateEipAddress: ApiAction = {
  name: 'UnassociateEipAddress',
  version: VPC_VERSION,
  idempotent: true,
  run(ctx) {
    const { params, state } = ctx;
    const { eip, instanceId, instanceType } = eipAndInstance(ctx);
    const privateIp = params.optional('PrivateIpAddress');
    params.bool('Force');
    state.eips.assertIdle(eip);
    if (eip.status === 'InUse') {
      const bound = eip.binding!;
      if (bound.instanceId !== instanceId || bound.instanceType !== instanceType) {
        throw new CloudApiError(
          'InvalidInstanceId.NotFound',
          400,
          `The EIP ${eip.allocationId} is not associated with ${instanceType} ${instanceId}.`,
        );
      }
      if (privateIp !== undefined && privateIp !== bound.privateIpAddress) {
        throw invalidParameter(
          'PrivateIpAddress',
          `EIP ${eip.allocationId} forwards to ${bound.privateIpAddress}, not ${privateIp}`,
          'InvalidBindingStatus',
        );
      }
    }
    state.eips.unassociate(eip);
    return {};
  },
};
