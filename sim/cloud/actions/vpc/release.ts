import { type ApiAction, VPC_VERSION } from '../types.js';
import { existingEip } from './associate.js';

export const releaseEipAddress: ApiAction = {
  name: 'ReleaseEipAddress',
  version: VPC_VERSION,
  idempotent: false,
  run(ctx) {
    ctx.state.eips.release(existingEip(ctx));
    return {};
  },
};
