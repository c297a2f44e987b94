/**
 * Drives a row to 'unbound': the EIP no longer forwards to the row's private IP. The EIP itself
 * is kept (release is the strategy's business, see release.ts). A row caught in 'allocating' is
 * first resolved to its EIP (by tags or the same ClientToken) so nothing allocated is forgotten.
 */
import type { BindingRow } from '../store/journal.js';
import { recoverAllocation } from './allocation.js';
import { transition } from './state-machine.js';
import { event, pointsAt, target, type BindingContext } from './context.js';

export async function driveToUnbound(ctx: BindingContext, start: BindingRow, signal: AbortSignal): Promise<BindingRow> {
  let row = start;
  switch (row.state) {
    case 'pending':
      return transition(ctx, row, 'dropped', { lastError: 'sandbox removed before an EIP was taken' });
    case 'allocating':
      row = await recoverAllocation(ctx, row, signal);
      return transition(ctx, row, 'unbound');
    case 'allocated':
      // Never associated by us ('associating' is journaled before every AssociateEipAddress).
      return transition(ctx, row, 'unbound');
    case 'associating':
    case 'bound':
    case 'unbinding': {
      row = transition(ctx, row, 'unbind');
      const want = target(row);
      await ctx.cloud.unassociateEip(want, signal);
      const eip = await ctx.cloud.waitForEip(row.allocationId, (e) => !e || !pointsAt(e, want, row.privateIpPrimary) || e.status === 'Available', signal);
      event(ctx, row, 'Normal', 'EipUnbound', `EIP ${row.address} (${row.allocationId}) no longer points at ${row.privateIp}`
        + (eip ? '' : ' (it no longer exists)'));
      return transition(ctx, row, 'unbound');
    }
    default:
      return row;
  }
}
