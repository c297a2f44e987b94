export * from './types.js';
export {
  createKubeGateway,
  type ClosableKubeGateway,
  type ElectorOptions,
  type KubeGatewayDeps,
  type KubeGatewayOptions,
} from './gateway.js';
export { LeaseElector, type LeaseElectorOptions } from './leader.js';
export { KubeApiError, KubeConfigError, KubeConflictError, KubeOptionError, KubeStoppedError } from './errors.js';
export { ADDRESS_ANNOTATIONS, EIP_CONDITION_TYPE } from './pod-writer.js';
export { PODEIP_FINALIZER, PODEIP_GROUP, PODEIP_KIND, PODEIP_PLURAL, PODEIP_VERSION } from './podeip-client.js';
export { systemClock, type Clock } from '../../../lib/clock.js';
