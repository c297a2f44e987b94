/**
 * The CloudClient over the official SDK: request building and answer mapping per action, and
 * the read-before-write rules that make each write safe to repeat. Limits, retries, metrics and
 * logs live in CallRunner; coalescing in KeyedBatcher; waiting in EipPoller; ENIs in EniCache.
 */
import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import { backoffDelay, DEFAULT_RETRY_POLICIES, type BackoffPolicy } from '../retry/index.js';
import { BatchPartialFailure, KeyedBatcher } from './batcher.js';
import {
  accountBudgets,
  DEFAULT_ACCOUNT_RESERVE,
  DEFAULT_BUDGET_SHARE,
  nodeBudgets,
  type Budget,
  type CloudAction,
} from './budgets.js';
import { FleetBudget, type DemandBoard } from './fleet-budget.js';
import { CallRunner } from './call-runner.js';
import { sleep, systemClock, untilAborted, type Clock } from '../../../lib/clock.js';
import {
  SecretRegistry,
  buildCredential,
  validateCredentialsOptions,
  type CloudCredentialsOptions,
} from './credentials.js';
import { EniCache } from './eni-cache.js';
import { CloudConfigError, CloudError, classifyCloudCode, classifyError } from './errors.js';
import { createCloudMetrics } from './metrics.js';
import { EipPoller, isTransitional } from './poller.js';
import { pointsAt } from './points-at.js';
import { RateLimiter, type Slot } from './rate-limiter.js';
import { checkEndpoint, createSdkClients, loadSdkModules, type SdkClients } from './sdk.js';
import {
  MAX_TAGS,
  type AllocatedEip,
  type AllocateEipRequest,
  type CloudClient,
  type Eip,
  type EipStatus,
  type EniBinding,
  type NetworkInterface,
} from './types.js';
import type { Logger } from '../log/logger.js';
import { sdkAllocateParameters } from '../../../lib/annotations.js';

export interface CloudClientOptions {
  regionId: string;
  /** The cluster's VPC; narrows DescribeNetworkInterfaces. */
  vpcId: string;
  /** '' or absent = the SDK's default host for the region; 'HOST[:PORT]' otherwise (no scheme). */
  endpoints?: { vpcEndpoint?: string; ecsEndpoint?: string };
  /** Default 'https'. */
  protocol?: 'http' | 'https';
  credentials: CloudCredentialsOptions;
  /** Fraction (0, 1] of the documented per-account budgets this node may use; default 0.5 (see budgets.ts). */
  budgetShare?: number;
  /** Per-action account budgets replacing the documented ones (before the share is applied). */
  budgets?: Partial<Record<CloudAction, Budget>>;
  /** Budget coordination across the fleet; absent = the fixed share with AIMD only. */
  fleet?: FleetOptions;
  timeouts?: {
    /** TCP connect, per attempt; default 3000. */
    connectMs?: number;
    /** Answer, per attempt; default 10000. */
    readMs?: number;
    /** Retry deadline for calls whose caller passes no AbortSignal; default retry.cloudCall.deadlineMs. */
    defaultDeadlineMs?: number;
    /** Each instance-metadata request (ecs_ram_role); default 1000. */
    metadataMs?: number;
  };
  /** The shortest wait between describes of a waited-on EIP; default retry.associationWait.intervalMs. */
  pollIntervalMs?: number;
  /** The longest the poller may learn; default pollIntervalMs in retry.associationWait's proportion (4x). */
  pollMaxIntervalMs?: number;
  /** Default retry.cloudCall. */
  backoff?: Partial<BackoffPolicy>;
  /** Sign with the old HMAC-SHA1 (v1) instead of ACS3-HMAC-SHA256; default false. */
  legacySignature?: boolean;
}

export interface FleetOptions {
  board: DemandBoard;
  /** Whether this node writes the plan (the GC lease holder). */
  isLeader: () => boolean;
  nodeName: string;
  /** How often a busy node publishes its demand and reads the plan; default 5000. */
  intervalMs?: number;
  /** [0, 1): the fraction of each budget podeip never plans to use; default 0.05. */
  accountReserve?: number;
}

export interface CloudClientDeps {
  logger: Logger;
  registry: Registry;
  clock?: Clock;
  /** [0, 1); jitter source. */
  random?: () => number;
}

export type ClosableCloudClient = CloudClient & {
  /** Loads the SDK packages and builds the clients now instead of on the first call. */
  preload(): Promise<void>;
  /** Stops the poller and timers; pending calls reject. */
  close(): void;
};

const MAX_IDS_PER_DESCRIBE = 50;
const EIP_PAGE_SIZE = 100;
const ENI_PAGE_SIZE = 100;

function positive(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value > 0))
    throw new CloudConfigError(field, `must be a positive number of milliseconds, got ${value}`);
  return value;
}

function tagList(tags: Record<string, string>, field: string): { key: string; value: string }[] {
  const list = Object.entries(tags).map(([key, value]) => ({ key, value }));
  if (list.length > MAX_TAGS)
    throw new CloudConfigError(field, `at most ${MAX_TAGS} tags per EIP, got ${list.length}; drop some eip-tags`);
  for (const t of list) {
    if (!t.key) throw new CloudConfigError(field, 'a tag key is empty; every tag needs a key');
  }
  return list;
}

function checkClientToken(token: string): void {
  if (!token || token.length > 64 || !/^[\x20-\x7e]+$/.test(token)) {
    throw new CloudConfigError('clientToken', `must be 1-64 printable ASCII characters, got ${JSON.stringify(token)}`);
  }
}

type SdkEip = {
  allocationId?: string;
  ipAddress?: string;
  status?: string;
  instanceId?: string;
  instanceType?: string;
  privateIpAddress?: string;
  bandwidth?: string;
  internetChargeType?: string;
  chargeType?: string;
  ISP?: string;
  name?: string;
  description?: string;
  resourceGroupId?: string;
  publicIpAddressPoolId?: string;
  bandwidthPackageId?: string;
  allocationTime?: string;
  tags?: { tag?: { key?: string; value?: string }[] };
};

function toEip(e: SdkEip): Eip {
  const tags: Record<string, string> = {};
  for (const t of e.tags?.tag ?? []) if (t.key) tags[t.key] = t.value ?? '';
  return {
    allocationId: e.allocationId ?? '',
    ipAddress: e.ipAddress ?? '',
    status: (e.status ?? 'Available') as EipStatus,
    instanceId: e.instanceId ?? '',
    instanceType: e.instanceType ?? '',
    privateIpAddress: e.privateIpAddress ?? '',
    bandwidth: e.bandwidth ?? '',
    internetChargeType: e.internetChargeType ?? '',
    chargeType: e.chargeType ?? '',
    isp: e.ISP ?? '',
    name: e.name ?? '',
    description: e.description ?? '',
    resourceGroupId: e.resourceGroupId ?? '',
    publicIpAddressPoolId: e.publicIpAddressPoolId ?? '',
    bandwidthPackageId: e.bandwidthPackageId ?? '',
    allocationTime: e.allocationTime ?? '',
    tags,
  };
}

type SdkEni = {
  networkInterfaceId?: string;
  instanceId?: string;
  type?: string;
  privateIpAddress?: string;
  attachment?: { instanceId?: string };
  privateIpSets?: { privateIpSet?: { privateIpAddress?: string; primary?: boolean }[] };
};

function toEni(n: SdkEni, instanceId: string): NetworkInterface {
  const sets = n.privateIpSets?.privateIpSet ?? [];
  const primary = n.privateIpAddress || sets.find((s) => s.primary)?.privateIpAddress || '';
  const ips = sets.map((s) => s.privateIpAddress ?? '').filter(Boolean);
  if (primary && !ips.includes(primary)) ips.unshift(primary);
  return {
    networkInterfaceId: n.networkInterfaceId ?? '',
    instanceId: n.instanceId || n.attachment?.instanceId || instanceId,
    type: n.type === 'Primary' ? 'Primary' : 'Secondary',
    primaryIpAddress: primary,
    privateIpAddresses: ips,
  };
}

function rejected(action: CloudAction, message: string, cloudCode = ''): CloudError {
  return new CloudError('CloudRejected', `${action}: ${message}`, {
    action,
    cloudCode,
    httpStatus: 0,
    requestId: '',
    retryable: false,
  });
}

class SdkCloudClient implements ClosableCloudClient {
  private readonly runner: CallRunner;
  private readonly limiter: RateLimiter<CloudAction>;
  private readonly describeBatcher: KeyedBatcher<string, Eip, Slot>;
  private readonly tagBatchers = new Map<string, KeyedBatcher<string, true, Slot>>();
  private readonly poller: EipPoller;
  private readonly fleet: FleetBudget | undefined;
  private readonly enis: EniCache;
  private readonly secrets = new SecretRegistry();
  private readonly regionId: string;
  private readonly vpcId: string;
  private sdk: Promise<SdkClients> | undefined;
  private readonly buildSdk: () => Promise<SdkClients>;
  /** Waits between rounds of a read-before-write loop that found the EIP not yet where it must be. */
  private readonly pause: (round: number, action: CloudAction, signal: AbortSignal | undefined) => Promise<void>;

  constructor(options: CloudClientOptions, deps: CloudClientDeps) {
    if (!options.regionId.trim())
      throw new CloudConfigError('regionId', "is required, e.g. 'cn-hangzhou' (the node's region from metadata)");
    const protocol = options.protocol ?? 'https';
    if (!['http', 'https'].includes(protocol))
      throw new CloudConfigError('protocol', `must be 'http' or 'https', got ${JSON.stringify(protocol)}`);
    const vpcEndpoint = checkEndpoint('endpoints.vpcEndpoint', options.endpoints?.vpcEndpoint ?? '');
    const ecsEndpoint = checkEndpoint('endpoints.ecsEndpoint', options.endpoints?.ecsEndpoint ?? '');
    validateCredentialsOptions(options.credentials);
    const connectMs = positive(options.timeouts?.connectMs, 3000, 'timeouts.connectMs');
    const readMs = positive(options.timeouts?.readMs, 10_000, 'timeouts.readMs');
    const defaultDeadlineMs = positive(
      options.timeouts?.defaultDeadlineMs,
      DEFAULT_RETRY_POLICIES.cloudCall.deadlineMs,
      'timeouts.defaultDeadlineMs',
    );
    const metadataMs = positive(options.timeouts?.metadataMs, 1000, 'timeouts.metadataMs');
    const { associationWait, cloudCall } = DEFAULT_RETRY_POLICIES;
    const pollIntervalMs = positive(options.pollIntervalMs, associationWait.intervalMs, 'pollIntervalMs');
    const pollMaxIntervalMs = positive(
      options.pollMaxIntervalMs,
      pollIntervalMs * (associationWait.maxIntervalMs / associationWait.intervalMs),
      'pollMaxIntervalMs',
    );
    const backoff = {
      baseMs: positive(options.backoff?.baseMs, cloudCall.baseMs, 'backoff.baseMs'),
      maxMs: positive(options.backoff?.maxMs, cloudCall.maxMs, 'backoff.maxMs'),
    };
    this.regionId = options.regionId.trim();
    this.vpcId = options.vpcId.trim();
    const clock = deps.clock ?? systemClock;
    const random = deps.random ?? Math.random;
    this.pause = (round, action, signal) =>
      this.bounded(action, sleep(clock, backoffDelay(round, backoff, random), signal), signal);
    const logger = deps.logger.child({ component: 'cloud' });

    const metrics = createCloudMetrics(deps.registry);
    const caps = nodeBudgets(options.budgetShare ?? DEFAULT_BUDGET_SHARE, options.budgets);
    if (options.fleet) {
      const reserve = options.fleet.accountReserve ?? DEFAULT_ACCOUNT_RESERVE;
      if (!(reserve >= 0 && reserve < 1))
        throw new CloudConfigError(
          'accountReserve',
          `must be a fraction in [0, 1), got ${reserve}; e.g. 0.05 to leave 5% of every budget to other users of the account`,
        );
      this.fleet = new FleetBudget(
        {
          nodeName: options.fleet.nodeName,
          intervalMs: positive(options.fleet.intervalMs, 5000, 'fleet.intervalMs'),
          reserve,
          account: accountBudgets(options.budgets),
          caps,
        },
        {
          board: options.fleet.board,
          clock,
          logger,
          isLeader: options.fleet.isLeader,
          extraDemand: () => ({ DescribeEipAddresses: Math.ceil(this.poller.watching / MAX_IDS_PER_DESCRIBE) }),
          onCoordinated: (on) => metrics.coordinated.set(on ? 1 : 0),
        },
      );
    }
    this.limiter = new RateLimiter(caps, clock, () => this.fleet?.wake());
    this.fleet?.attach(this.limiter);
    this.runner = new CallRunner({
      limiter: this.limiter,
      metrics,
      logger,
      clock,
      random,
      backoff,
      defaultDeadlineMs,
      redact: (t) => this.secrets.redact(t),
    });
    this.buildSdk = async () => {
      const modules = await loadSdkModules();
      const credential = buildCredential(modules.credentials, options.credentials, this.secrets, metadataMs);
      return createSdkClients(
        modules,
        {
          regionId: this.regionId,
          vpcEndpoint,
          ecsEndpoint,
          protocol,
          connectTimeoutMs: connectMs,
          readTimeoutMs: readMs,
          legacySignature: options.legacySignature ?? false,
        },
        credential,
      );
    };
    this.describeBatcher = new KeyedBatcher<string, Eip, Slot>({
      maxBatch: MAX_IDS_PER_DESCRIBE,
      gate: () => this.limiter.for('DescribeEipAddresses').acquire(),
      exec: (ids, slot) => this.describeMany(ids, slot),
      unused: (slot) => slot.refund(),
    });
    this.poller = new EipPoller({
      describe: (id) => this.describeEip(id),
      clock,
      intervalMs: pollIntervalMs,
      maxIntervalMs: pollMaxIntervalMs,
      logger,
    });
    this.enis = new EniCache((instanceId) => this.listEnis(instanceId));
  }

  async preload(): Promise<void> {
    await this.clients();
  }

  close(): void {
    this.fleet?.close();
    this.poller.close();
    this.limiter.close();
  }

  /**
   * Waits that are not a call of their own (a coalesced describe, the poller, a shared ENI
   * refresh) end with the caller's signal too; turn that into CloudDeadlineExceeded.
   */
  private async bounded<T>(action: CloudAction, work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    try {
      return await work;
    } catch (err) {
      if (err instanceof CloudError || err instanceof CloudConfigError) throw err;
      if (signal?.aborted && err === signal.reason) throw this.runner.deadlineError(action);
      throw classifyError(action, err, { redact: (t) => this.secrets.redact(t) });
    }
  }

  /** The SDK for a caller's call: its first load can take seconds, within the caller's deadline. */
  private sdkFor(action: CloudAction, signal: AbortSignal | undefined): Promise<SdkClients> {
    return this.bounded(action, untilAborted(this.clients(), signal), signal);
  }

  private clients(): Promise<SdkClients> {
    if (!this.sdk) {
      this.sdk = this.buildSdk();
      this.sdk.catch(() => {
        this.sdk = undefined;
      });
    }
    return this.sdk;
  }

  async allocateEip(req: AllocateEipRequest, signal?: AbortSignal): Promise<AllocatedEip> {
    checkClientToken(req.clientToken);
    const tag = tagList(req.tags, 'tags');
    if (req.securityProtectionTypes && req.securityProtectionTypes.length > 1) {
      throw new CloudConfigError(
        'securityProtectionTypes',
        `at most one value (AntiDDoS_Enhanced), got ${req.securityProtectionTypes.length}`,
      );
    }
    const sdk = await this.sdkFor('AllocateEipAddress', signal);
    const m = sdk.modules.vpc;
    const request = new m.AllocateEipAddressRequest({
      regionId: this.regionId,
      clientToken: req.clientToken,
      ...sdkAllocateParameters(req),
      tag: tag.map((t) => new m.AllocateEipAddressRequestTag(t)),
    });
    const answer = await this.runner.run(
      'AllocateEipAddress',
      () => sdk.vpc.allocateEipAddressWithOptions(request, sdk.runtime()),
      { signal },
    );
    const body = answer.body;
    if (!body?.allocationId || !body.eipAddress)
      throw rejected('AllocateEipAddress', 'answer lacks AllocationId or EipAddress');
    return { allocationId: body.allocationId, ipAddress: body.eipAddress, resourceGroupId: body.resourceGroupId ?? '' };
  }

  async associateEip(binding: EniBinding, signal?: AbortSignal): Promise<void> {
    const sdk = await this.sdkFor('AssociateEipAddress', signal);
    const request = new sdk.modules.vpc.AssociateEipAddressRequest({
      regionId: this.regionId,
      allocationId: binding.allocationId,
      instanceId: binding.networkInterfaceId,
      instanceType: 'NetworkInterface',
      privateIpAddress: binding.privateIpAddress,
      mode: 'NAT',
      clientToken: randomUUID(),
    });
    for (let round = 1; ; round++) {
      try {
        await this.runner.run(
          'AssociateEipAddress',
          () => sdk.vpc.associateEipAddressWithOptions(request, sdk.runtime()),
          { signal },
        );
        return;
      } catch (err) {
        if (!(err instanceof CloudError) || err.cloudCode !== 'IncorrectEipStatus') throw err;
        const eip = await this.describeEip(binding.allocationId, signal);
        if (!eip)
          throw new CloudError('CloudNotFound', `AssociateEipAddress: EIP ${binding.allocationId} does not exist`, {
            ...details(err),
            retryable: false,
          });
        if ((eip.status === 'InUse' || eip.status === 'Associating') && this.pointsAt(eip, binding)) return;
        // Free again by now (it was finishing a transition when we asked): ask again.
        if (eip.status === 'Available') {
          await this.pause(round, 'AssociateEipAddress', signal);
          continue;
        }
        if (!retryableNow(err, eip)) {
          throw new CloudError(
            'CloudRejected',
            `AssociateEipAddress: EIP ${binding.allocationId} is ${eip.status}` +
              `${eip.instanceId ? ` on ${eip.instanceId}${eip.privateIpAddress ? `/${eip.privateIpAddress}` : ''}` : ''}, not free to bind [RequestId ${err.requestId}]`,
            details(err),
          );
        }
        await this.waitForEip(binding.allocationId, () => true, signal);
      }
    }
  }

  async unassociateEip(binding: EniBinding, signal?: AbortSignal): Promise<void> {
    const sdk = await this.sdkFor('UnassociateEipAddress', signal);
    const request = new sdk.modules.vpc.UnassociateEipAddressRequest({
      regionId: this.regionId,
      allocationId: binding.allocationId,
      instanceId: binding.networkInterfaceId,
      instanceType: 'NetworkInterface',
      privateIpAddress: binding.privateIpAddress,
      clientToken: randomUUID(),
    });
    for (let round = 1; ; round++) {
      // Re-describe first: never unbind an EIP that has moved to another IP or instance.
      const eip = await this.describeEip(binding.allocationId, signal);
      if (
        !eip ||
        !this.pointsAt(eip, binding) ||
        eip.status === 'Available' ||
        eip.status === 'Unassociating' ||
        eip.status === 'Releasing'
      )
        return;
      if (eip.status === 'Associating') {
        await this.waitForEip(binding.allocationId, () => true, signal);
        continue;
      }
      try {
        await this.runner.run(
          'UnassociateEipAddress',
          () => sdk.vpc.unassociateEipAddressWithOptions(request, sdk.runtime()),
          { signal },
        );
        return;
      } catch (err) {
        if (!(err instanceof CloudError)) throw err;
        if (err.cloudCode === 'InvalidAllocationId.NotFound') return;
        if (err.cloudCode !== 'IncorrectEipStatus') throw err;
        // The next describe tells unbound (success), moved (success) or transitioning (wait).
        await this.pause(round, 'UnassociateEipAddress', signal);
      }
    }
  }

  async releaseEip(allocationId: string, signal?: AbortSignal): Promise<void> {
    const sdk = await this.sdkFor('ReleaseEipAddress', signal);
    const request = new sdk.modules.vpc.ReleaseEipAddressRequest({ regionId: this.regionId, allocationId });
    for (let round = 1; ; round++) {
      try {
        await this.runner.run('ReleaseEipAddress', () => sdk.vpc.releaseEipAddressWithOptions(request, sdk.runtime()), {
          signal,
        });
        return;
      } catch (err) {
        if (!(err instanceof CloudError)) throw err;
        if (err.cloudCode === 'InvalidAllocationId.NotFound') return;
        if (err.cloudCode !== 'IncorrectEipStatus') throw err;
        const eip = await this.describeEip(allocationId, signal);
        if (!eip || eip.status === 'Releasing') return;
        if (eip.status === 'Available') {
          await this.pause(round, 'ReleaseEipAddress', signal);
          continue;
        }
        if (!retryableNow(err, eip)) {
          throw new CloudError(
            'CloudRejected',
            `ReleaseEipAddress: EIP ${allocationId} is ${eip.status}` +
              `${eip.instanceId ? ` (bound to ${eip.instanceId})` : ''}; unassociate it first [RequestId ${err.requestId}]`,
            details(err),
          );
        }
        await this.waitForEip(allocationId, () => true, signal);
      }
    }
  }

  describeEip(allocationId: string, signal?: AbortSignal): Promise<Eip | undefined> {
    if (!allocationId || allocationId.includes(',')) {
      return Promise.reject(
        new CloudConfigError('allocationId', `must be one EIP id like 'eip-...', got ${JSON.stringify(allocationId)}`),
      );
    }
    return this.bounded('DescribeEipAddresses', this.describeBatcher.get(allocationId, signal), signal);
  }

  private async describeMany(ids: string[], slot: Slot): Promise<Map<string, Eip>> {
    const sdk = await this.clients().catch((err) => {
      slot.refund();
      throw err;
    });
    const request = new sdk.modules.vpc.DescribeEipAddressesRequest({
      regionId: this.regionId,
      allocationId: ids.join(','),
      pageSize: MAX_IDS_PER_DESCRIBE,
      pageNumber: 1,
    });
    const answer = await this.runner.run(
      'DescribeEipAddresses',
      () => sdk.vpc.describeEipAddressesWithOptions(request, sdk.runtime()),
      { firstSlot: slot },
    );
    const out = new Map<string, Eip>();
    for (const e of answer.body?.eipAddresses?.eipAddress ?? []) {
      const eip = toEip(e);
      out.set(eip.allocationId, eip);
    }
    return out;
  }

  async listEipsByTags(tags: Record<string, string>, signal?: AbortSignal): Promise<Eip[]> {
    const tag = tagList(tags, 'tags');
    if (tag.length === 0)
      throw new CloudConfigError(
        'tags',
        'give at least one tag to list by (listing every EIP of the account is not what you want)',
      );
    const sdk = await this.sdkFor('DescribeEipAddresses', signal);
    const m = sdk.modules.vpc;
    const out: Eip[] = [];
    for (let page = 1; ; page++) {
      const request = new m.DescribeEipAddressesRequest({
        regionId: this.regionId,
        pageSize: EIP_PAGE_SIZE,
        pageNumber: page,
        tag: tag.map((t) => new m.DescribeEipAddressesRequestTag(t)),
      });
      const answer = await this.runner.run(
        'DescribeEipAddresses',
        () => sdk.vpc.describeEipAddressesWithOptions(request, sdk.runtime()),
        { signal },
      );
      const items = answer.body?.eipAddresses?.eipAddress ?? [];
      out.push(...items.map(toEip));
      const total = answer.body?.totalCount ?? 0;
      if (items.length === 0 || out.length >= total) return out;
    }
  }

  waitForEip(
    allocationId: string,
    done: (eip: Eip | undefined) => boolean,
    signal?: AbortSignal,
  ): Promise<Eip | undefined> {
    return this.bounded('DescribeEipAddresses', this.poller.wait(allocationId, done, signal), signal);
  }

  async tagEip(allocationId: string, tags: Record<string, string>, signal?: AbortSignal): Promise<void> {
    const tag = tagList(tags, 'tags');
    if (tag.length === 0) return;
    const key = JSON.stringify(tag.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
    let batcher = this.tagBatchers.get(key);
    if (!batcher) {
      const b: KeyedBatcher<string, true, Slot> = new KeyedBatcher<string, true, Slot>({
        maxBatch: MAX_IDS_PER_DESCRIBE,
        gate: () => this.limiter.for('TagResources').acquire(),
        unused: (slot) => slot.refund(),
        exec: async (ids, slot) => {
          try {
            return await this.tagMany(ids, tag, slot);
          } finally {
            if (b.queuedKeys === 0 && this.tagBatchers.get(key) === b) this.tagBatchers.delete(key);
          }
        },
      });
      this.tagBatchers.set(key, (batcher = b));
    }
    const ok = await this.bounded('TagResources', batcher.get(allocationId, signal), signal);
    if (!ok) throw rejected('TagResources', `EIP ${allocationId} was not tagged`);
  }

  private async tagMany(
    ids: string[],
    tag: { key: string; value: string }[],
    slot: Slot | undefined,
  ): Promise<Map<string, true>> {
    const sdk = await this.clients().catch((err) => {
      slot?.refund();
      throw err;
    });
    const m = sdk.modules.vpc;
    const request = new m.TagResourcesRequest({
      regionId: this.regionId,
      resourceType: 'EIP',
      resourceId: ids,
      tag: tag.map((t) => new m.TagResourcesRequestTag(t)),
    });
    try {
      await this.runner.run(
        'TagResources',
        () => sdk.vpc.tagResourcesWithOptions(request, sdk.runtime()),
        slot ? { firstSlot: slot } : {},
      );
      return new Map(ids.map((id) => [id, true]));
    } catch (err) {
      // One bad id fails the whole call; retry each alone so only its own caller sees the error.
      if (!(err instanceof CloudError) || err.retryable || ids.length === 1) throw err;
      const out = new Map<string, true>();
      const failures = new Map<string, unknown>();
      await Promise.all(
        ids.map(async (id) => {
          try {
            await this.tagMany([id], tag, undefined);
            out.set(id, true);
          } catch (e) {
            failures.set(id, e);
          }
        }),
      );
      if (failures.size > 0) throw new BatchPartialFailure(out, failures);
      return out;
    }
  }

  async untagEip(allocationId: string, keys: string[], signal?: AbortSignal): Promise<void> {
    if (keys.length === 0) return;
    if (keys.some((k) => !k)) throw new CloudConfigError('keys', 'a tag key is empty; name every key to remove');
    const sdk = await this.sdkFor('UnTagResources', signal);
    const request = new sdk.modules.vpc.UnTagResourcesRequest({
      regionId: this.regionId,
      resourceType: 'EIP',
      resourceId: [allocationId],
      tagKey: keys,
    });
    await this.runner.run('UnTagResources', () => sdk.vpc.unTagResourcesWithOptions(request, sdk.runtime()), {
      signal,
    });
  }

  async setEipBandwidth(allocationId: string, bandwidth: string, signal?: AbortSignal): Promise<void> {
    if (!/^[1-9]\d*$/.test(bandwidth))
      throw new CloudConfigError('bandwidth', `must be Mbps as a positive integer, got ${JSON.stringify(bandwidth)}`);
    const sdk = await this.sdkFor('ModifyEipAddressAttribute', signal);
    const request = new sdk.modules.vpc.ModifyEipAddressAttributeRequest({
      regionId: this.regionId,
      allocationId,
      bandwidth,
    });
    for (;;) {
      try {
        await this.runner.run(
          'ModifyEipAddressAttribute',
          () => sdk.vpc.modifyEipAddressAttributeWithOptions(request, sdk.runtime()),
          { signal },
        );
        return;
      } catch (err) {
        // Setting the same value twice is harmless; only a transition in flight is waited out.
        if (!(err instanceof CloudError) || err.cloudCode !== 'IncorrectEipStatus') throw err;
        const eip = await this.describeEip(allocationId, signal);
        if (eip?.bandwidth === bandwidth) return;
        if (!eip || !isTransitional(eip)) throw err;
        await this.waitForEip(allocationId, () => true, signal);
      }
    }
  }

  async countEips(signal?: AbortSignal): Promise<number> {
    const sdk = await this.sdkFor('DescribeEipAddresses', signal);
    const request = new sdk.modules.vpc.DescribeEipAddressesRequest({
      regionId: this.regionId,
      pageSize: 1,
      pageNumber: 1,
    });
    const answer = await this.runner.run(
      'DescribeEipAddresses',
      () => sdk.vpc.describeEipAddressesWithOptions(request, sdk.runtime()),
      { signal },
    );
    const total = answer.body?.totalCount;
    if (typeof total !== 'number') throw rejected('DescribeEipAddresses', 'answer lacks TotalCount');
    return total;
  }

  async addToBandwidthPackage(bandwidthPackageId: string, allocationId: string, signal?: AbortSignal): Promise<void> {
    const sdk = await this.sdkFor('AddCommonBandwidthPackageIp', signal);
    const request = new sdk.modules.vpc.AddCommonBandwidthPackageIpRequest({
      regionId: this.regionId,
      bandwidthPackageId,
      ipInstanceId: allocationId,
      ipType: 'EIP',
      clientToken: randomUUID(),
    });
    for (;;) {
      try {
        await this.runner.run(
          'AddCommonBandwidthPackageIp',
          () => sdk.vpc.addCommonBandwidthPackageIpWithOptions(request, sdk.runtime()),
          { signal },
        );
        return;
      } catch (err) {
        if (!(err instanceof CloudError) || err.retryable) throw err;
        const eip = await this.describeEip(allocationId, signal);
        if (eip?.bandwidthPackageId === bandwidthPackageId) return;
        if (!eip || !isTransitional(eip)) throw err;
        await this.waitForEip(allocationId, () => true, signal);
      }
    }
  }

  async removeFromBandwidthPackage(
    bandwidthPackageId: string,
    allocationId: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const sdk = await this.sdkFor('RemoveCommonBandwidthPackageIp', signal);
    const request = new sdk.modules.vpc.RemoveCommonBandwidthPackageIpRequest({
      regionId: this.regionId,
      bandwidthPackageId,
      ipInstanceId: allocationId,
      clientToken: randomUUID(),
    });
    for (;;) {
      try {
        await this.runner.run(
          'RemoveCommonBandwidthPackageIp',
          () => sdk.vpc.removeCommonBandwidthPackageIpWithOptions(request, sdk.runtime()),
          { signal },
        );
        return;
      } catch (err) {
        if (!(err instanceof CloudError) || err.retryable) throw err;
        if (err.cloudCode === 'OperationUnsupported.IpNotInCbwp') return;
        const eip = await this.describeEip(allocationId, signal);
        if (!eip || eip.bandwidthPackageId !== bandwidthPackageId) return;
        if (!isTransitional(eip)) throw err;
        await this.waitForEip(allocationId, () => true, signal);
      }
    }
  }

  findEniByPrivateIp(
    instanceId: string,
    privateIp: string,
    signal?: AbortSignal,
  ): Promise<NetworkInterface | undefined> {
    if (!instanceId)
      return Promise.reject(new CloudConfigError('instanceId', "is required, e.g. 'i-...' (the node's instance id)"));
    if (!privateIp) return Promise.reject(new CloudConfigError('privateIp', 'is required (the pod IPv4 address)'));
    return this.bounded('DescribeNetworkInterfaces', this.enis.find(instanceId, privateIp, signal), signal);
  }

  private async listEnis(instanceId: string): Promise<NetworkInterface[]> {
    const sdk = await this.clients();
    const out: NetworkInterface[] = [];
    let nextToken = '';
    do {
      const request = new sdk.modules.ecs.DescribeNetworkInterfacesRequest({
        regionId: this.regionId,
        instanceId,
        maxResults: ENI_PAGE_SIZE,
        ...(this.vpcId ? { vpcId: this.vpcId } : {}),
        ...(nextToken ? { nextToken } : {}),
      });
      const answer = await this.runner.run('DescribeNetworkInterfaces', () =>
        sdk.ecs.describeNetworkInterfacesWithOptions(request, sdk.runtime()),
      );
      for (const n of answer.body?.networkInterfaceSets?.networkInterfaceSet ?? []) out.push(toEni(n, instanceId));
      nextToken = answer.body?.nextToken ?? '';
    } while (nextToken);
    return out;
  }

  /**
   * Whether the EIP forwards to this binding's IP. When the EIP is on an ENI's primary IP the
   * cached ENI's primary IP decides, and an unknown ENI counts as ours (the safe side for
   * unbinding our own pod's EIP).
   */
  private pointsAt(eip: Eip, binding: EniBinding): boolean {
    const eni = this.enis.byId(binding.networkInterfaceId);
    return pointsAt(eip, binding, !eni || eni.primaryIpAddress === binding.privateIpAddress);
  }
}

/** IncorrectEipStatus is retryable only while the EIP transitions: the one classification decides. */
function retryableNow(err: CloudError, eip: Eip): boolean {
  return classifyCloudCode(err.cloudCode, err.httpStatus, { eipTransitioning: isTransitional(eip) }).retryable;
}

function details(err: CloudError) {
  return {
    action: err.action,
    cloudCode: err.cloudCode,
    httpStatus: err.httpStatus,
    requestId: err.requestId,
    retryable: false,
  };
}

export function createCloudClient(options: CloudClientOptions, deps: CloudClientDeps): ClosableCloudClient {
  return new SdkCloudClient(options, deps);
}
