/**
 * The kustomize overlays as a user builds them: every object valid against Kubernetes' upstream
 * schemas, the DaemonSet wired to what the agent's config says, the config file accepted by the
 * agent's own loader, RBAC exactly what the agent calls.
 */
import test from 'ava';
import { dirname, posix } from 'node:path';
import { parseConfig } from '../../agent/src/config/load.js';
import { GC_LEASE_NAME } from '../../agent/src/main.js';
import { credentialsFromConfig } from '../../agent/src/cloud/credentials-config.js';
import { findGenerated, findObject, kustomizeBuildOnce as kustomizeBuild, type KubeObject } from './kustomize.js';
import { validateKubeObject } from './kube-schemas.js';
import { repoPath } from './repo.js';

const OVERLAYS = [
  'manifests/overlays/example',
  'manifests/overlays/rrsa-example',
  'manifests/overlays/accesskey-example',
];

interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: Record<string, { name?: string; key?: string; optional?: boolean; fieldPath?: string }>;
  }[];
  envFrom?: { configMapRef?: { name: string } }[];
  ports?: { name: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsUser?: number;
    runAsNonRoot?: boolean;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
}
interface PodSpec {
  hostNetwork?: boolean;
  priorityClassName?: string;
  serviceAccountName?: string;
  tolerations?: { operator?: string; key?: string }[];
  affinity?: {
    nodeAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: {
        nodeSelectorTerms: { matchExpressions?: { key: string; operator: string; values?: string[] }[] }[];
      };
    };
  };
  initContainers: Container[];
  containers: Container[];
  volumes: {
    name: string;
    hostPath?: { path: string };
    configMap?: { name: string };
    secret?: { secretName: string; defaultMode?: number };
    projected?: { sources: { serviceAccountToken?: { audience?: string; path: string } }[] };
  }[];
}
interface DaemonSetShape {
  metadata: { name: string; namespace?: string };
  spec: {
    selector: { matchLabels: Record<string, string> };
    updateStrategy: { type: string; rollingUpdate: { maxSurge: number | string; maxUnavailable: number | string } };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}
interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}

const podSpecOf = (objects: KubeObject[]) =>
  (findObject(objects, 'DaemonSet', 'podeip-agent') as unknown as DaemonSetShape).spec.template.spec;
const agentOf = (spec: PodSpec) => spec.containers.find((c) => c.name === 'agent')!;
/** The agent's config file: from the ConfigMap podeip-config, or the Secret of that name (config-in-secret). */
function configTextOf(objects: KubeObject[]): string {
  const inSecret = objects.some((o) => o.kind === 'Secret' && o.metadata.name.startsWith('podeip-config-'));
  const holder = findGenerated(objects, inSecret ? 'Secret' : 'ConfigMap', 'podeip-config') as unknown as {
    data: Record<string, string>;
  };
  const text = holder.data['config.yaml']!;
  return inSecret ? Buffer.from(text, 'base64').toString('utf8') : text;
}

for (const overlay of OVERLAYS) {
  test(`${overlay}: every object is valid against Kubernetes' schemas`, async (t) => {
    const { objects } = await kustomizeBuild(repoPath(overlay));
    const kinds = objects.map((o) => o.kind).sort();
    for (const kind of [
      'ClusterRole',
      'ClusterRoleBinding',
      'CustomResourceDefinition',
      'DaemonSet',
      'PodMonitor',
      'Role',
      'RoleBinding',
      'ServiceAccount',
    ]) {
      t.true(kinds.includes(kind), `the build has a ${kind}`);
    }
    t.true(kinds.includes('ConfigMap') || kinds.includes('Secret'), 'the build has the config file');
    const errors = (await Promise.all(objects.map(validateKubeObject))).flat();
    t.deepEqual(errors, []);
  });

  test(`${overlay}: the config file is accepted by the agent's loader and matches the DaemonSet`, async (t) => {
    const { objects } = await kustomizeBuild(repoPath(overlay));
    const config = parseConfig(configTextOf(objects), `${overlay}/config.yaml`);
    const spec = podSpecOf(objects);
    const agent = agentOf(spec);
    t.deepEqual(agent.args, ['--config', '/etc/podeip/config.yaml']);
    const configVolume = spec.volumes.find((v) => v.name === 'config')!;
    const holder = configVolume.configMap?.name ?? configVolume.secret?.secretName;
    t.regex(
      holder ?? '',
      /^podeip-config-[a-z0-9]{10}$/,
      'the DaemonSet mounts the generated (hashed) config, so a config change rolls it',
    );
    t.true(
      objects.some((o) => (o.kind === 'ConfigMap' || o.kind === 'Secret') && o.metadata.name === holder),
      'and the build has it',
    );
    t.is(agent.volumeMounts!.find((m) => m.name === configVolume.name)?.mountPath, '/etc/podeip');

    const hostPathOfMount = (c: Container, mountPath: string) => {
      const mount = c.volumeMounts?.find((m) => m.mountPath === mountPath);
      return spec.volumes.find((v) => v.name === mount?.name)?.hostPath?.path;
    };
    t.is(
      hostPathOfMount(agent, dirname(config.agent.socketPath)),
      dirname(config.agent.socketPath),
      "socket dir is the host's, where the plugin connects",
    );
    t.is(hostPathOfMount(agent, config.agent.stateDir), config.agent.stateDir, 'journal survives the pod');
    const metricsPort = Number(config.agent.metricsListen.split(':').pop());
    t.deepEqual(agent.ports, [{ name: 'metrics', containerPort: metricsPort, protocol: 'TCP' }]);
    t.deepEqual(agent.startupProbe?.httpGet, { path: '/healthz', port: 'metrics' });
    t.deepEqual(agent.livenessProbe?.httpGet, { path: '/healthz', port: 'metrics' });
    t.deepEqual(agent.readinessProbe?.httpGet, { path: '/readyz', port: 'metrics' });

    const prepare = spec.initContainers.find((c) => c.name === 'prepare-host-dirs')!;
    t.deepEqual(prepare.command, [
      'chown',
      '-R',
      `${agent.securityContext!.runAsUser}:${agent.securityContext!.runAsUser}`,
      dirname(config.agent.socketPath),
      config.agent.stateDir,
    ]);
    t.is(hostPathOfMount(prepare, dirname(config.agent.socketPath)), dirname(config.agent.socketPath));
    t.is(hostPathOfMount(prepare, config.agent.stateDir), config.agent.stateDir);
  });

  test(`${overlay}: DaemonSet runs on every ECS node, as the node's networking, and never surges`, async (t) => {
    const { objects } = await kustomizeBuild(repoPath(overlay));
    const ds = findObject(objects, 'DaemonSet', 'podeip-agent') as unknown as DaemonSetShape;
    const spec = ds.spec.template.spec;
    t.is(ds.metadata.namespace, 'kube-system');
    t.true(spec.hostNetwork);
    t.is(spec.priorityClassName, 'system-node-critical');
    t.deepEqual(spec.tolerations, [{ operator: 'Exists' }]);
    const expressions =
      spec.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms.flatMap(
        (term) => term.matchExpressions ?? [],
      );
    t.deepEqual(
      expressions.find((e) => e.key === 'type'),
      { key: 'type', operator: 'NotIn', values: ['virtual-kubelet'] },
    );
    t.deepEqual(ds.spec.updateStrategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 0, maxUnavailable: '5%' },
    });
    t.like(ds.spec.template.metadata.labels, ds.spec.selector.matchLabels);

    const install = spec.initContainers.find((c) => c.name === 'install-cni')!;
    t.deepEqual(install.args, ['install-cni', '--bin-dir', '/host/opt/cni/bin', '--conf-dir', '/host/etc/cni/net.d']);
    const hostPathAt = (mountPath: string) =>
      spec.volumes.find((v) => v.name === install.volumeMounts!.find((m) => m.mountPath === mountPath)?.name)?.hostPath
        ?.path;
    t.is(hostPathAt('/host/opt/cni/bin'), '/opt/cni/bin');
    t.is(hostPathAt('/host/etc/cni/net.d'), '/etc/cni/net.d');
    const watcher = spec.containers.find((c) => c.name === 'cni-watch')!;
    t.deepEqual(
      watcher.args,
      [...install.args!, '--watch'],
      'a sidecar re-chains after the primary CNI rewrites its conflist',
    );
    t.deepEqual(watcher.volumeMounts, install.volumeMounts);

    const all = [...spec.initContainers, ...spec.containers];
    t.is(new Set(all.map((c) => c.image)).size, 1, 'one image for every container');
    t.regex(all[0]!.image, /^registry\.example\.com\/podeip\/podeip-agent:0\.1\.0$/);
    for (const c of all) {
      t.truthy(
        c.resources?.requests?.cpu && c.resources.requests.memory && c.resources.limits?.memory,
        `${c.name} has requests and a memory limit`,
      );
      t.is(c.securityContext?.allowPrivilegeEscalation, false, `${c.name} cannot escalate`);
      t.true(c.securityContext?.readOnlyRootFilesystem, `${c.name} has a read-only root`);
      t.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${c.name} drops every capability it does not name`);
    }
    const agent = agentOf(spec);
    t.like(agent.securityContext, { runAsUser: 65532, runAsNonRoot: true });
    t.is(agent.securityContext!.capabilities!.add, undefined, 'the agent needs no capability');
    t.deepEqual(agent.env!.find((e) => e.name === 'NODE_NAME')?.valueFrom, {
      fieldRef: { fieldPath: 'spec.nodeName' },
    });
  });

  test(`${overlay}: RBAC grants exactly what the agent calls, nothing with "*"`, async (t) => {
    const { objects } = await kustomizeBuild(repoPath(overlay));
    const roles = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');
    for (const role of roles) {
      for (const rule of (role as unknown as { rules: Rule[] }).rules) {
        for (const field of [rule.apiGroups, rule.resources, rule.verbs, rule.resourceNames]) {
          t.false(
            (field ?? []).some((v) => v.includes('*')),
            `${role.kind}/${role.metadata.name} has no wildcard`,
          );
        }
      }
    }
    const granted = (role: KubeObject) =>
      (role as unknown as { rules: Rule[] }).rules
        .flatMap((r) =>
          (r.apiGroups ?? ['']).flatMap((g) =>
            (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${g || 'core'}/${res}:${v}`)),
          ),
        )
        .sort();
    t.deepEqual(granted(findObject(objects, 'ClusterRole', 'podeip-agent')), [
      'alibabacloud.com/podeips/status:patch',
      'alibabacloud.com/podeips/status:update',
      'alibabacloud.com/podeips:create',
      'alibabacloud.com/podeips:delete',
      'alibabacloud.com/podeips:get',
      'alibabacloud.com/podeips:list',
      'alibabacloud.com/podeips:patch',
      'alibabacloud.com/podeips:update',
      'alibabacloud.com/podeips:watch',
      'core/events:create',
      'core/events:patch',
      'core/namespaces:get',
      'core/nodes:get',
      'core/nodes:list',
      'core/pods/status:patch',
      'core/pods:get',
      'core/pods:list',
      'core/pods:patch',
      'core/pods:watch',
      'events.k8s.io/events:create',
      'events.k8s.io/events:patch',
    ]);
    const leases = findObject(objects, 'Role', 'podeip-agent-leases');
    t.deepEqual(granted(leases), [
      'coordination.k8s.io/leases:create',
      'coordination.k8s.io/leases:get',
      'coordination.k8s.io/leases:update',
    ]);
    // Every verb that RBAC can limit by name names the agent's own Lease; create cannot be.
    for (const rule of (leases as unknown as { rules: Rule[] }).rules) {
      if (rule.verbs.includes('create')) {
        t.deepEqual(rule.verbs, ['create'], 'create stands alone: a rule with resourceNames never matches a create');
        t.is(rule.resourceNames, undefined);
      } else {
        t.deepEqual(rule.resourceNames, [GC_LEASE_NAME], `${rule.verbs.join(',')} on the agent's Lease only`);
      }
    }
    const config = parseConfig(configTextOf(objects));
    t.is(leases.metadata.namespace, config.agent.leaseNamespace, 'the lease Role is where the agent keeps its lease');

    const sa = findObject(objects, 'ServiceAccount', 'podeip-agent');
    t.is(podSpecOf(objects).serviceAccountName, sa.metadata.name);
    for (const [kind, name] of [
      ['ClusterRoleBinding', 'podeip-agent'],
      ['RoleBinding', 'podeip-agent-leases'],
    ] as const) {
      const binding = findObject(objects, kind, name) as unknown as {
        subjects: { kind: string; name: string; namespace: string }[];
        roleRef: { kind: string; name: string };
      };
      t.deepEqual(binding.subjects, [
        { kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace! },
      ]);
      t.true(
        roles.some((r) => r.kind === binding.roleRef.kind && r.metadata.name === binding.roleRef.name),
        `${kind} ${name} binds a role of the build`,
      );
    }
  });

  test(`${overlay}: the PodMonitor scrapes the agent's metrics port`, async (t) => {
    const { objects } = await kustomizeBuild(repoPath(overlay));
    const monitor = findObject(objects, 'PodMonitor', 'podeip-agent') as unknown as KubeObject & {
      spec: {
        jobLabel: string;
        selector: { matchLabels: Record<string, string> };
        podMetricsEndpoints: { port: string; path: string }[];
      };
    };
    const ds = findObject(objects, 'DaemonSet', 'podeip-agent') as unknown as DaemonSetShape;
    t.is(monitor.metadata.namespace, ds.metadata.namespace);
    t.like(ds.spec.template.metadata.labels, monitor.spec.selector.matchLabels);
    t.is(
      ds.spec.template.metadata.labels[monitor.spec.jobLabel],
      'podeip-agent',
      'job="podeip-agent", as the alert rules expect',
    );
    const ports = agentOf(ds.spec.template.spec).ports!.map((p) => p.name);
    t.deepEqual(
      monitor.spec.podMetricsEndpoints.map((e) => [e.port, e.path]),
      [['metrics', '/metrics']],
    );
    t.true(ports.includes('metrics'));
  });
}

test("example overlay: the agent authenticates with the node's RAM role", async (t) => {
  const { objects } = await kustomizeBuild(repoPath('manifests/overlays/example'));
  t.false(
    objects.some((o) => o.kind === 'Secret'),
    'no credential is shipped',
  );
  const config = parseConfig(configTextOf(objects));
  t.is(credentialsFromConfig(config, {}).type, 'ecs_ram_role');
});

test('rrsa-example overlay: projected token and variables give the agent an OIDC role credential', async (t) => {
  const { objects } = await kustomizeBuild(repoPath('manifests/overlays/rrsa-example'));
  const spec = podSpecOf(objects);
  const agent = agentOf(spec);
  const env: Record<string, string> = {};
  for (const e of agent.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  for (const from of agent.envFrom ?? []) {
    const cm = findObject(objects, 'ConfigMap', from.configMapRef!.name) as unknown as { data: Record<string, string> };
    Object.assign(env, cm.data);
  }
  const tokenFile = env.ALIBABA_CLOUD_OIDC_TOKEN_FILE!;
  const mount = agent.volumeMounts!.find((m) => m.mountPath === posix.dirname(tokenFile))!;
  t.true(mount.readOnly);
  const token = spec.volumes.find((v) => v.name === mount.name)!.projected!.sources[0]!.serviceAccountToken!;
  t.deepEqual(token, { audience: 'sts.aliyuncs.com', expirationSeconds: 3600, path: posix.basename(tokenFile) });

  const config = parseConfig(configTextOf(objects));
  t.true(config.enableRRSA);
  t.like(credentialsFromConfig(config, env), {
    type: 'oidc_role_arn',
    roleArn: 'acs:ram::1234567890123456:role/podeip-agent',
    oidcProviderArn: 'acs:ram::1234567890123456:oidc-provider/ack-rrsa-c11ba338192xxxxxxx',
    oidcTokenFile: tokenFile,
  });
});

test('accesskey-example overlay: the AccessKey stays in a Secret the agent reads as its config file', async (t) => {
  const { objects, yaml } = await kustomizeBuild(repoPath('manifests/overlays/accesskey-example'));
  const config = parseConfig(configTextOf(objects));
  t.like(credentialsFromConfig(config, {}), { type: 'access_key', accessKeyId: 'LTAI5tExampleAccessKeyId' });
  t.false(
    objects.some((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('podeip-config')),
    'no ConfigMap holds the config',
  );
  t.false(yaml.includes('ExampleAccessKeySecretReplaceMe'), 'the secret is only in the Secret, base64');
  const volume = podSpecOf(objects).volumes.find((v) => v.name === 'config')!;
  t.is(volume.configMap, undefined);
  t.is(volume.secret!.defaultMode, 0o440, "readable by the agent's group (fsGroup), no one else");
});

test('bare base: the agent refuses its placeholder config, naming each missing value', async (t) => {
  const { objects } = await kustomizeBuild(repoPath('manifests/base'));
  const error = t.throws(() => parseConfig(configTextOf(objects), 'base/config.yaml'));
  for (const key of ['clusterID', 'regionID', 'vpcID']) t.regex(error.message, new RegExp(`\\b${key}\\b`));
});

test('the schema check rejects unknown fields, wrong types and missing required fields', async (t) => {
  const broken: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'broken' },
    spec: {
      selector: { matchLabels: { a: 'b' } },
      template: {
        spec: { containers: [{ name: 'c', image: 'i', livenessProb: {}, ports: [{ containerPort: 'metrics' }] }] },
      },
    },
  };
  const errors = await validateKubeObject(broken);
  t.true(
    errors.some((e) => e.includes('.spec.template.spec.containers[0].livenessProb: unknown field')),
    errors.join('\n'),
  );
  t.true(
    errors.some((e) => e.includes('containerPort must be integer')),
    errors.join('\n'),
  );
  const noContainers = await validateKubeObject({ ...broken, spec: { selector: {}, template: { spec: {} } } });
  t.true(
    noContainers.some((e) => /containers/.test(e)),
    noContainers.join('\n'),
  );
  const monitor = await validateKubeObject({
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { name: 'm' },
    spec: { selector: {}, podMetricsEndpoints: [{ interval: 30 }] },
  });
  t.true(
    monitor.some((e) => e.includes('interval must be string')),
    monitor.join('\n'),
  );
  const secret = await validateKubeObject({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's' },
    data: { key: 'not base64!' },
  });
  t.true(
    secret.some((e) => e.includes('must match format "byte"')),
    secret.join('\n'),
  );
  const policy = await validateKubeObject({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: 'p' },
    spec: { failurePolicy: 'Maybe', validation: [] },
  });
  t.true(
    policy.some((e) => e.includes('failurePolicy must be equal to one of the allowed values')),
    policy.join('\n'),
  );
  t.true(
    policy.some((e) => e.includes('.spec.validation: unknown field')),
    policy.join('\n'),
  );
  t.deepEqual(await validateKubeObject({ apiVersion: 'example.com/v1', kind: 'Nothing', metadata: { name: 'x' } }), [
    'Nothing/x: example.com/v1 Nothing: no upstream schema for this apiVersion and kind',
  ]);
});

test('manifests/uninstall: valid, and runs uninstall-cni on the same host dirs install-cni wrote', async (t) => {
  const { objects } = await kustomizeBuild(repoPath('manifests/uninstall'));
  t.deepEqual((await Promise.all(objects.map(validateKubeObject))).flat(), []);
  const spec = (findObject(objects, 'DaemonSet', 'podeip-uninstall-cni') as unknown as DaemonSetShape).spec.template
    .spec;
  const installSpec = podSpecOf((await kustomizeBuild(repoPath('manifests/overlays/example'))).objects);
  const install = installSpec.initContainers.find((c) => c.name === 'install-cni')!;
  const uninstall = spec.initContainers.find((c) => c.name === 'uninstall-cni')!;
  t.deepEqual(uninstall.args, ['uninstall-cni', ...install.args!.slice(1)]);
  const hostPaths = (s: PodSpec, c: Container) =>
    c.volumeMounts!.map((m) => [m.mountPath, s.volumes.find((v) => v.name === m.name)?.hostPath?.path]);
  t.deepEqual(hostPaths(spec, uninstall), hostPaths(installSpec, install));
  t.is(uninstall.image, install.image);
});
