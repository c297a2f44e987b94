import { type ApiAction, VPC_VERSION } from '../types.js';
import { bandwidthRange, validateText } from './allocate.js';
import { existingEip } from './associate.js';

export const modifyEipAddressAttribute: ApiAction = {
  name: 'ModifyEipAddressAttribute',
  version: VPC_VERSION,
  idempotent: false,
  run(ctx) {
    const { params, state } = ctx;
    const eip = existingEip(ctx);
    const name = validateText(params, 'Name', 128);
    const description = validateText(params, 'Description', 256);
    const bandwidth = params.int('Bandwidth', bandwidthRange(eip.chargeType, eip.internetChargeType));
    state.eips.assertIdle(eip);
    if (name !== undefined) eip.name = name;
    if (description !== undefined) eip.description = description;
    if (bandwidth !== undefined) eip.bandwidth = bandwidth;
    return {};
  },
};
