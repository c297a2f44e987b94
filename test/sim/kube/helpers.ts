/** Shared setup for the simulator tests: a sim on a free loopback port plus real clients for it. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { testKubectl } from '../../../lib/host-tools.js';
import { startKubeSim, type KubeSim, type KubeSimOptions } from '../../../sim/kube/server.js';

export const KUBECTL = testKubectl();

export interface Harness {
  sim: KubeSim;
  kc: k8s.KubeConfig;
  dir: string;
  kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  /** kubectl that must succeed; returns stdout. */
  ok(args: string[], input?: string): Promise<string>;
  writeFile(name: string, text: string): string;
}

export async function harness(options: KubeSimOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'sim-kube-test-'));
  const sim = await startKubeSim({ kubeconfigPath: join(dir, 'kubeconfig'), ...options });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(sim.kubeconfigPath);
  const kubectl = (args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = execFile(
        KUBECTL,
        ['--kubeconfig', sim.kubeconfigPath, '--cache-dir', join(dir, 'cache'), ...args],
        { timeout: 30_000 },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      if (input !== undefined) child.stdin!.end(input);
    });
  return {
    sim,
    kc,
    dir,
    kubectl,
    async ok(args, input) {
      const r = await kubectl(args, input);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return r.stdout;
    },
    writeFile(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
  };
}

/** Starts `kubectl <args>` in the background and collects its stdout lines. */
export function kubectlStream(h: Harness, args: string[]): { child: ChildProcess; lines: string[] } {
  const child = spawn(KUBECTL, ['--kubeconfig', h.sim.kubeconfigPath, '--cache-dir', join(h.dir, 'cache'), ...args]);
  const lines: string[] = [];
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  return { child, lines };
}

export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const POD_EIP_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: podeips.alibabacloud.com
spec:
  group: alibabacloud.com
  names:
    kind: PodEIP
    listKind: PodEIPList
    plural: podeips
    singular: podeip
  scope: Namespaced
  versions:
  - name: v1beta1
    served: true
    storage: true
    subresources:
      status: {}
    additionalPrinterColumns:
    - name: Allocation
      type: string
      jsonPath: .spec.allocationID
    - name: Type
      type: string
      jsonPath: .spec.allocationType.type
    - name: Address
      type: string
      jsonPath: .status.eipAddress
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [allocationID]
            properties:
              allocationID:
                type: string
                x-kubernetes-validations:
                - rule: self == oldSelf
                  message: allocationID is immutable
              bandwidthPackageID:
                type: string
              allocationType:
                type: object
                properties:
                  type:
                    type: string
                    enum: [Auto, Static]
                    default: Auto
                  releaseStrategy:
                    type: string
                    enum: [Follow, TTL, Never]
                    default: Follow
                  releaseAfter:
                    type: string
          status:
            type: object
            properties:
              eipAddress:
                type: string
              status:
                type: string
              node:
                type: string
              networkInterfaceID:
                type: string
`;

export function podManifest(name: string, node: string, extra: Record<string, unknown> = {}): k8s.V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...extra },
    spec: { nodeName: node, containers: [{ name: 'app', image: 'nginx:1.25' }] },
  };
}
