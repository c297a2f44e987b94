import type { ExecutionContext } from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedCluster, type SimulatedClusterOptions } from '../../sim/stack/cluster.js';

/** A simulated cluster in its own temp dir, closed and removed when the test ends. */
export async function clusterFor(t: ExecutionContext, name: string, options: Omit<SimulatedClusterOptions, 'dir'> = {}): Promise<SimulatedCluster> {
  const dir = await mkdtemp(join(tmpdir(), `podeip-${name}-`));
  const cluster = await SimulatedCluster.start({ dir, ...options });
  t.teardown(async () => {
    await cluster.close();
    await rm(dir, { recursive: true, force: true });
  });
  return cluster;
}
