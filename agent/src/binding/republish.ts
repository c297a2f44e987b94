/**
 * After a restart a bound row may lack what publish() writes (the crash may have come between
 * InUse and those writes). Rather than re-publishing every bound row, which costs four
 * Kubernetes writes and a cloud call per row at the client's QPS and kept a node with 256
 * bindings unready for over a minute, each row is compared with what the API server holds: one
 * LIST of this node's PodEIPs (a GET for a row whose PodEIP carries another node's label) and
 * the pod from the informer's cache. Only a row that differs is published again.
 *
 * The check runs after readiness. A row stays pending until it is confirmed or published, so a
 * failed LIST or write is retried by the service's periodic pass, and a crash before then leaves
 * the row bound in the journal for the next start to check again.
 */
import { ADDRESS_ANNOTATIONS, EIP_CONDITION_TYPE } from '../kube/pod-writer.js';
import type { PodEip, PodInfo } from '../kube/types.js';
import type { BindingRow } from '../store/journal.js';
import { publish } from './attach.js';
import type { BindingContext } from './context.js';
import { errorText } from '../../../lib/error-text.js';
import { TAG_NODE } from '../domain/ownership.js';

/** Runs `fn` holding the row's pod lock (the service's per-pod serialization). */
export type UnderPodLock = (row: BindingRow, fn: () => Promise<void>) => Promise<void>;

export class BoundRowRepublisher {
  private readonly pending = new Set<number>();
  private running: Promise<void> | undefined;

  constructor(
    private readonly ctx: BindingContext,
    private readonly underPodLock: UnderPodLock,
    private readonly onFailure: (rowId: number, err: unknown) => void,
  ) {}

  /** Rows to check on the next pass. */
  add(rowId: number): void {
    this.pending.add(rowId);
  }

  get pendingRows(): number {
    return this.pending.size;
  }

  /** One pass over the pending rows; nothing at all (no request) when none is pending. */
  run(signal: AbortSignal): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    this.running ??= this.pass(signal).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(signal: AbortSignal): Promise<void> {
    const { kube, config, journal } = this.ctx;
    let held: Map<string, PodEip>;
    try {
      const listed = await kube.listPodEips(signal, `${TAG_NODE}=${config.nodeName}`);
      held = new Map(listed.map((podEip) => [`${podEip.namespace}/${podEip.name}`, podEip]));
    } catch (err) {
      this.ctx.logger.warn("could not list this node's PodEIPs to check bound rows; the periodic pass retries", {
        err: errorText(err),
      });
      return;
    }
    await Promise.all(
      [...this.pending].map((rowId) => {
        const queued = journal.get(rowId);
        if (!queued) {
          this.pending.delete(rowId);
          return Promise.resolve();
        }
        return this.underPodLock(queued, async () => {
          const row = journal.get(rowId);
          if (row?.state === 'bound') {
            const podEip =
              held.get(`${row.namespace}/${row.podName}`) ?? (await kube.getPodEip(row.namespace, row.podName, signal));
            if (!isPublished(row, podEip, kube.pods.cached(row.namespace, row.podName), config.nodeName))
              await publish(this.ctx, row, signal);
          }
          this.pending.delete(rowId);
        }).catch((err: unknown) => this.onFailure(rowId, err));
      }),
    );
  }
}

/**
 * Whether the API server already holds what publish() writes for this bound row: its PodEIP's
 * status (unless the PodEIP records another EIP, which publish leaves alone), both address
 * annotations and the `k8s.aliyun.com/eip` condition on the pod.
 */
export function isPublished(
  row: BindingRow,
  podEip: PodEip | undefined,
  pod: PodInfo | undefined,
  nodeName: string,
): boolean {
  if (!podEip || podEip.deletionTimestamp || !pod || pod.uid !== row.podUid) return false;
  const status = podEip.status;
  const podEipSettled =
    podEip.spec.allocationID !== row.allocationId ||
    (status.eipAddress === row.address &&
      status.networkInterfaceID === row.eniId &&
      status.privateIPAddress === row.privateIp &&
      status.node === nodeName &&
      status.status === 'InUse');
  return (
    podEipSettled &&
    ADDRESS_ANNOTATIONS.every((key) => pod.annotations[key] === row.address) &&
    pod.conditions?.[EIP_CONDITION_TYPE] === 'True'
  );
}
