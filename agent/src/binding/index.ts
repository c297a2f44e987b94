/** What the agent's wiring (main.ts, server/) uses from the binding service. */
export { BindingService, toBinding, type BindingServiceDeps, type BindingConfig } from './service.js';
export {
  BINDING_ERROR_CODES,
  BindingError,
  InvalidAnnotationError,
  toBindingError,
  type BindingErrorCode,
  type AnnotationProblem,
} from '../domain/errors.js';
export { parseEipRequest, type EipRequest } from '../domain/eip-request.js';
export type { ReleaseStrategy } from '../domain/release-strategy.js';
export { EIP_CONDITION_REASON } from './attach.js';
export {
  OWNERSHIP_TAG_KEYS,
  ownershipTags,
  podSelectorTags,
  isOwnedFor,
  isBoundByUs,
  bindingMark,
  clientToken,
} from '../domain/ownership.js';
