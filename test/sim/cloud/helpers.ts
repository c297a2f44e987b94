import type { ExecutionContext } from 'ava';
import VpcModule, * as $Vpc from '@alicloud/vpc20160428';
import EcsModule, * as $Ecs from '@alicloud/ecs20140526';
import * as OpenApi from '@alicloud/openapi-core';
import { startCloudSim, type CloudSim, type CloudSimOptions } from '../../../sim/cloud/index.js';

export { $Vpc, $Ecs, OpenApi };
export const Vpc = VpcModule.default;
export const Ecs = EcsModule.default;
export type VpcClient = InstanceType<typeof Vpc>;
export type EcsClient = InstanceType<typeof Ecs>;

/** Starts a simulator on free loopback ports and stops it when the test ends. */
export async function startSim(t: ExecutionContext, options: CloudSimOptions = {}): Promise<CloudSim> {
  const sim = await startCloudSim({ associationDelayMs: 50, ...options });
  t.teardown(() => sim.close());
  return sim;
}

export interface ClientOptions {
  accessKeyId?: string;
  accessKeySecret?: string;
  securityToken?: string;
  /** 'v2' selects the legacy HMAC-SHA1 signature. */
  signatureAlgorithm?: string;
  readTimeout?: number;
  retryOptions?: unknown;
}

export function sdkConfig(sim: CloudSim, options: ClientOptions = {}): OpenApi.$OpenApiUtil.Config {
  return new OpenApi.$OpenApiUtil.Config({
    accessKeyId: options.accessKeyId ?? sim.accessKeyId,
    accessKeySecret: options.accessKeySecret ?? sim.accessKeySecret,
    ...(options.securityToken === undefined ? {} : { securityToken: options.securityToken }),
    regionId: 'cn-hangzhou',
    endpoint: sim.endpoint,
    protocol: 'http',
    readTimeout: options.readTimeout ?? 5000,
    ...(options.signatureAlgorithm === undefined ? {} : { signatureAlgorithm: options.signatureAlgorithm }),
    ...(options.retryOptions === undefined ? {} : { retryOptions: options.retryOptions }),
  });
}

export const vpcClient = (sim: CloudSim, options: ClientOptions = {}): VpcClient => new Vpc(sdkConfig(sim, options));
export const ecsClient = (sim: CloudSim, options: ClientOptions = {}): EcsClient => new Ecs(sdkConfig(sim, options));

/** The error an SDK call rejects with (fails the test if it resolves). */
export async function sdkError(
  t: ExecutionContext,
  call: Promise<unknown>,
): Promise<OpenApi.AlibabaCloudError & { retryAfter?: number }> {
  const error = await t.throwsAsync(call);
  return error as unknown as OpenApi.AlibabaCloudError & { retryAfter?: number };
}

/** Polls DescribeEipAddresses until the EIP reaches `status` ('gone' when it disappears). */
export async function waitForStatus(
  client: VpcClient,
  allocationId: string,
  status: string,
  timeoutMs = 5000,
): Promise<$Vpc.DescribeEipAddressesResponseBodyEipAddressesEipAddress | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await client.describeEipAddresses(
      new $Vpc.DescribeEipAddressesRequest({ regionId: 'cn-hangzhou', allocationId }),
    );
    const eip = res.body?.eipAddresses?.eipAddress?.[0];
    if (status === 'gone' ? eip === undefined : eip?.status === status) return eip;
    if (Date.now() > deadline)
      throw new Error(`EIP ${allocationId} did not reach ${status}; last seen ${eip?.status ?? 'gone'}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function allocate(
  client: VpcClient,
  fields: Partial<$Vpc.AllocateEipAddressRequest> = {},
): Promise<{ allocationId: string; eipAddress: string }> {
  const res = await client.allocateEipAddress(
    new $Vpc.AllocateEipAddressRequest({ regionId: 'cn-hangzhou', ...fields }),
  );
  return { allocationId: res.body!.allocationId!, eipAddress: res.body!.eipAddress! };
}
