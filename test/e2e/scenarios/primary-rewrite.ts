/**
 * A Terway restart: the primary CNI writes its conflist anew (without our entry) while pods are
 * being created. The installer's sidecar (`install-cni --watch`) must put podeip back within 2 s;
 * every EIP pod whose sandbox starts after that gets its EIP. Prints the window in which a new
 * pod could have started without podeip.
 */
import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bridgeConflist, CONFLIST_FILE } from '../cni-config.js';
import { Daemon, waitFor } from '../proc.js';
import {
  WITH_EIP,
  assertBoundAtReturn,
  eipsOn,
  endPod,
  startPod,
  waitReleased,
  type PodeipPod,
} from './pod-lifecycle.js';
import type { Scenario } from './scenario.js';

const RECHAIN_LIMIT_MS = 2000;
const PODS_AFTER = 2;

export const primaryRewrite: Scenario = {
  name: 'the primary CNI rewrites its conflist (Terway restart): install-cni --watch re-chains, EIP pods created after get their EIP',
  needsPodeip: true,
  async run({ node, stack }) {
    const watcher = Daemon.start(
      'install-cni --watch',
      process.execPath,
      [...stack!.installerCommand(), '--watch'],
      process.env,
      join(node.tmpDir, 'stack', 'install-cni-watch.log'),
    );
    try {
      await waitFor('install-cni --watch to watch', async () =>
        watcher.stdoutLines.some((l) => l.includes('watching for changes')) ? true : undefined,
      );
      const file = join(node.cniConfDir, CONFLIST_FILE);
      const started: Array<{ at: number; pod: PodeipPod }> = [];
      let chainBackAt: number | undefined;
      let after = 0;
      // Pods keep coming while the primary rewrites its config, until a few started after the re-chain.
      const creating = (async () => {
        for (let i = 0; after < PODS_AFTER; i++) {
          const at = performance.now();
          started.push({ at, pod: await startPod(stack!, `rewrite-${i}`, WITH_EIP) });
          if (chainBackAt !== undefined && at > chainBackAt) after++;
        }
      })();
      creating.catch(() => undefined); // awaited below; this only keeps an early failure from being unhandled meanwhile

      await new Promise((resolve) => setTimeout(resolve, 300));
      // Terway writes its conflist anew on start: a whole new file renamed into place, our entry gone.
      const rewriteAt = performance.now();
      writeFileSync(`${file}.tmp`, JSON.stringify(bridgeConflist(node.network), null, 2) + '\n');
      renameSync(`${file}.tmp`, file);
      const fileBackAt = await waitFor(
        'podeip back in the conflist',
        async () => (readFileSync(file, 'utf8').includes('"podeip"') ? performance.now() : undefined),
        { timeoutMs: 10_000, stepMs: 10 },
      );
      await node.waitChain(['bridge', 'podeip']);
      chainBackAt = performance.now();
      await creating;

      const missed = started.filter(({ pod }) => eipsOn(pod.cloudAtReturn, pod.ip).length === 0);
      process.stdout.write(
        `e2e: re-chain window: the conflist lacked podeip for ${Math.round(fileBackAt - rewriteAt)} ms; ` +
          `containerd ran the chain without podeip until ${Math.round(chainBackAt - rewriteAt)} ms after the rewrite; ` +
          `${missed.length} of ${started.length} pods created meanwhile started without their EIP\n`,
      );
      assert.ok(
        fileBackAt - rewriteAt < RECHAIN_LIMIT_MS,
        `re-chained after ${Math.round(fileBackAt - rewriteAt)} ms, over ${RECHAIN_LIMIT_MS} ms`,
      );
      for (const { at, pod } of started.filter((s) => s.at > chainBackAt)) {
        assert.ok(at > chainBackAt);
        await assertBoundAtReturn(stack!, pod);
      }
      for (const { pod } of started) {
        const eip = eipsOn(pod.cloudAtReturn, pod.ip)[0];
        await endPod(stack!, pod);
        if (eip) await waitReleased(stack!, pod, eip.allocationId);
      }
    } finally {
      await watcher.stop();
    }
  },
};
