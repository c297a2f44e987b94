import type { Params } from '../params.js';
import type { CloudState } from '../state/cloud-state.js';

export const VPC_VERSION = '2016-04-28';
export const ECS_VERSION = '2014-05-26';

export interface ActionContext {
  state: CloudState;
  params: Params;
  /** The validated RegionId. */
  regionId: string;
}

/** One OpenAPI action: its body (without RequestId) or a thrown CloudApiError. */
export interface ApiAction {
  name: string;
  version: typeof VPC_VERSION | typeof ECS_VERSION;
  /** Honours ClientToken: same token and parameters replay the first success. */
  idempotent: boolean;
  /** RegionId may be absent when this parameter is given instead (DescribeVSwitches' VpcId). */
  regionAlternative?: string;
  run(ctx: ActionContext): Record<string, unknown>;
}
