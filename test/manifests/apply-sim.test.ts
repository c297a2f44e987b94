/**
 * The overlays applied with kubectl to the Kubernetes simulator, as a user installs, upgrades
 * to RRSA and uninstalls. (Schema validity is manifests.test.ts's job: the simulator stores
 * what it is given.)
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startKubeSim, type KubeSim } from '../../sim/kube/server.js';
import { testKubectl } from '../../lib/host-tools.js';
import { kustomizeBuild } from './kustomize.js';
import { repoPath } from './repo.js';

const run = promisify(execFile);

/** The Prometheus Operator's CRD, reduced to what makes PodMonitor a served kind. */
const PODMONITOR_CRD = JSON.stringify({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'podmonitors.monitoring.coreos.com' },
  spec: {
    group: 'monitoring.coreos.com',
    names: { kind: 'PodMonitor', listKind: 'PodMonitorList', plural: 'podmonitors', singular: 'podmonitor' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
});

async function kubectl(sim: KubeSim, args: string[], input?: string): Promise<string> {
  const child = run(testKubectl(), ['--kubeconfig', sim.kubeconfigPath, ...args], { maxBuffer: 16 * 1024 * 1024 });
  if (input !== undefined) child.child.stdin?.end(input);
  const { stdout } = await child;
  return stdout;
}

/** kubectl's `kind.group/name created` and `kind.group "name" deleted` lines as kind/name -> verb. */
function applied(output: string): Map<string, string> {
  return new Map(
    output
      .trim()
      .split('\n')
      .map((line) => {
        const m = /^([a-z]+)(?:\.[a-z0-9.]+)?(?:\/| ")([^"\s]+)"?\s+(\S+)$/.exec(line.trim());
        if (!m) throw new Error(`unexpected kubectl output line: ${line}`);
        return [`${m[1]}/${m[2]}`, m[3]!];
      }),
  );
}

test('install, re-apply, switch to RRSA and uninstall with kubectl against the simulator', async (t) => {
  const sim = await startKubeSim({ host: '127.0.0.1', port: 0 });
  t.teardown(() => sim.close());
  await kubectl(sim, ['apply', '-f', '-'], PODMONITOR_CRD);
  await kubectl(sim, ['wait', '--for=condition=Established', 'crd/podmonitors.monitoring.coreos.com', '--timeout=20s']);

  const example = repoPath('manifests/overlays/example');
  const built = await kustomizeBuild(example);
  const first = applied(await kubectl(sim, ['apply', '-k', example]));
  t.is(first.size, built.objects.length, 'one line per object of the build');
  t.true(
    [...first.values()].every((verb) => verb === 'created'),
    [...first].join('\n'),
  );

  const again = applied(await kubectl(sim, ['apply', '-k', example]));
  t.true(
    [...again.values()].every((verb) => verb === 'unchanged'),
    `re-applying changes nothing:\n${[...again].join('\n')}`,
  );

  const ds = JSON.parse(
    await kubectl(sim, ['-n', 'kube-system', 'get', 'daemonset', 'podeip-agent', '-o', 'json']),
  ) as {
    spec: {
      template: {
        spec: { hostNetwork: boolean; priorityClassName: string; volumes: { configMap?: { name: string } }[] };
      };
    };
  };
  t.true(ds.spec.template.spec.hostNetwork);
  t.is(ds.spec.template.spec.priorityClassName, 'system-node-critical');
  const configMapName = ds.spec.template.spec.volumes.find((v) => v.configMap)!.configMap!.name;
  const config = JSON.parse(
    await kubectl(sim, ['-n', 'kube-system', 'get', 'configmap', configMapName, '-o', 'json']),
  ) as { data: Record<string, string> };
  t.regex(config.data['config.yaml']!, /clusterID: c11ba338192xxxxxxx/);
  t.regex(
    await kubectl(sim, ['api-resources', '--api-group=alibabacloud.com']),
    /podeips\s.*alibabacloud\.com\/v1beta1\s+true\s+PodEIP/,
  );
  t.regex(
    await kubectl(sim, ['-n', 'kube-system', 'get', 'podmonitor', 'podeip-agent', '-o', 'name']),
    /podmonitor\.monitoring\.coreos\.com\/podeip-agent/,
  );

  const rrsa = repoPath('manifests/overlays/rrsa-example');
  const switched = applied(await kubectl(sim, ['apply', '-k', rrsa]));
  t.is(
    switched.get('daemonset/podeip-agent'),
    'configured',
    'the DaemonSet rolls to the new config and the token volume',
  );
  t.is(switched.get('clusterrole/podeip-agent'), 'unchanged');
  const env = await kubectl(sim, [
    '-n',
    'kube-system',
    'get',
    'daemonset',
    'podeip-agent',
    '-o',
    'jsonpath={.spec.template.spec.containers[0].env[*].name}',
  ]);
  t.true(env.split(' ').includes('ALIBABA_CLOUD_OIDC_TOKEN_FILE'), env);

  const removed = applied(await kubectl(sim, ['delete', '-k', rrsa]));
  t.true([...removed.values()].every((verb) => verb === 'deleted'));
  // What is left is the ConfigMap of the earlier config: kustomize's hashed names leave one
  // behind per config change (docs/install.md: apply with --prune, or delete it).
  const left = await kubectl(sim, [
    '-n',
    'kube-system',
    'get',
    'daemonset,configmap,serviceaccount',
    '-l',
    'app.kubernetes.io/part-of=podeip',
    '-o',
    'name',
  ]);
  t.deepEqual(left.trim().split('\n'), [`configmap/${configMapName}`]);
});
