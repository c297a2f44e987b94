/**
 * Drives a row to 'unbound': the EIP no longer forwards to the row's private IP. The EIP itself
 * is kept (release is the strategy's business, see release.ts). A row caught in 'allocating' is
 * first resolved to its EIP (by tags or the same ClientToken) so nothing allocated is forgotten.
 */
import type { BindingRow } from '../store/journal.js';
import { recoverAllocation } from './allocation.js';
import { event, target, type BindingContext } from './context.js';
import { pointsAt } from '../cloud/points-at.js';

export async function driveToUnbound(ctx: BindingContext, start: BindingRow, signal: AbortSignal): Promise<BindingRow> {
  let row = start;
  switch (row.state) {
    case 'pending':
      return ctx.journal.update(row.id, { state: 'gone', lastError: 'sandbox removed before an EIP was taken' });
    case 'allocating':
      row = await recoverAllocation(ctx, row, signal);
      return ctx.journal.update(row.id, { state: 'unbound' });
    case 'allocated':
      // Never associated by us ('associating' is journaled before every AssociateEipAddress).
      return ctx.journal.update(row.id, { state: 'unbound' });
    case 'associating':
    case 'bound':
    case 'unbinding': {
      row = ctx.journal.update(row.id, { state: 'unbinding' });
      const want = target(row);
      await ctx.cloud.unassociateEip(want, signal);
      const eip = await ctx.cloud.waitForEip(row.allocationId, (e) => !e || !pointsAt(e, want, row.privateIpPrimary) || e.status === 'Available', signal);
      event(ctx, row, 'Normal', 'EipUnbound', `EIP ${row.address} (${row.allocationId}) no longer points at ${row.privateIp}`
        + (eip ? '' : ' (it no longer exists)'));
      return ctx.journal.update(row.id, { state: 'unbound' });
    }
    default:
      return row;
  }
}
