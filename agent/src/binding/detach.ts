/**
 * The steps that take a row to 'unbound': the EIP no longer forwards to the row's private IP.
 * The EIP itself is kept (release is the strategy's business, see release.ts). The driver
 * (driver.ts) chains them; a row caught in 'allocating' is first resolved to its EIP (by tags or
 * the same ClientToken) so nothing allocated is forgotten.
 */
import type { BindingRow } from '../store/journal.js';
import { event, target, type BindingContext } from './context.js';
import { transition } from './state-machine.js';
import { unbindAndWait } from '../domain/teardown.js';

/** pending -> gone: the sandbox went before an EIP was taken. */
export async function dropPending(ctx: BindingContext, row: BindingRow): Promise<BindingRow> {
  return transition(ctx, row, 'dropped', { lastError: 'sandbox removed before an EIP was taken' });
}

/** allocated -> unbound: never associated by us ('associating' is journaled before every AssociateEipAddress). */
export async function forgetUnassociated(ctx: BindingContext, row: BindingRow): Promise<BindingRow> {
  return transition(ctx, row, 'unbound');
}

/** associating|bound|unbinding -> unbinding -> unbound. */
export async function unbindRow(ctx: BindingContext, start: BindingRow, signal: AbortSignal): Promise<BindingRow> {
  const row = transition(ctx, start, 'unbind');
  const eip = await unbindAndWait(ctx.cloud, target(row), row.privateIpPrimary, signal);
  event(
    ctx,
    row,
    'Normal',
    'EipUnbound',
    `EIP ${row.address} (${row.allocationId}) no longer points at ${row.privateIp}` +
      (eip ? '' : ' (it no longer exists)'),
  );
  return transition(ctx, row, 'unbound');
}
