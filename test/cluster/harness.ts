import type { ExecutionContext } from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createCloudClient, type ClosableCloudClient } from '../../agent/src/cloud/index.js';
import { silentLogger } from '../../agent/src/log/logger.js';
import { SimulatedCluster, type SimulatedClusterOptions } from '../../sim/stack/cluster.js';

/** A simulated cluster in its own temp dir, closed and removed when the test ends. */
export async function clusterFor(
  t: ExecutionContext,
  name: string,
  options: Omit<SimulatedClusterOptions, 'dir'> = {},
): Promise<SimulatedCluster> {
  const dir = await mkdtemp(join(tmpdir(), `podeip-${name}-`));
  const cluster = await SimulatedCluster.start({ dir, ...options });
  t.teardown(async () => {
    await cluster.close();
    await rm(dir, { recursive: true, force: true });
  });
  return cluster;
}

/** The account's API access as its people use it (not podeip's agents), closed when the test ends. */
export function accountCloud(t: ExecutionContext, cluster: SimulatedCluster): ClosableCloudClient {
  const cloud = createCloudClient(
    {
      regionId: cluster.cloud.regionId,
      vpcId: cluster.cloud.topology.vpcs[0]!.vpcId,
      endpoints: { vpcEndpoint: cluster.cloud.endpoint, ecsEndpoint: cluster.cloud.endpoint },
      protocol: 'http',
      credentials: {
        type: 'access_key',
        accessKeyId: cluster.cloud.accessKeyId,
        accessKeySecret: cluster.cloud.accessKeySecret,
      },
    },
    { logger: silentLogger, registry: new Registry() },
  );
  t.teardown(() => cloud.close());
  return cloud;
}
