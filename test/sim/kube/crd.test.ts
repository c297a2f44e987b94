import test from 'ava';
import * as k8s from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { harness } from './helpers.js';

const WIDGETS = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wd]}
  scope: Cluster
  versions:
  - name: v1alpha1
    served: true
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Port, type: string, jsonPath: .spec.port, priority: 1}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, minimum: 1, maximum: 10}
              port:
                x-kubernetes-int-or-string: true
              labels:
                type: object
                additionalProperties: {type: string}
              extra:
                type: object
                x-kubernetes-preserve-unknown-fields: true
`;

test('a cluster-scoped CRD with two served versions shares one store; printer columns honour priority', async (t) => {
  const h = await harness();
  t.teardown(() => h.sim.close());
  await h.ok(['apply', '-f', h.writeFile('crd.yaml', WIDGETS)]);
  await h.ok([
    'apply',
    '-f',
    h.writeFile(
      'w.yaml',
      'apiVersion: example.com/v1alpha1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 3\n  port: http\n  anything: kept-by-v1alpha1\n',
    ),
  ]);
  const custom = h.kc.makeApiClient(k8s.CustomObjectsApi);
  const v1 = await custom.getClusterCustomObject({
    group: 'example.com',
    version: 'v1',
    plural: 'widgets',
    name: 'w1',
  });
  t.is(v1.apiVersion, 'example.com/v1');
  t.is(v1.spec.size, 3);
  const alpha = await custom.getClusterCustomObject({
    group: 'example.com',
    version: 'v1alpha1',
    plural: 'widgets',
    name: 'w1',
  });
  t.is(alpha.apiVersion, 'example.com/v1alpha1');
  t.is(alpha.metadata.uid, v1.metadata.uid);
  const table = await h.ok(['get', 'widgets.v1.example.com']);
  t.regex(table, /^NAME\s+SIZE\n/);
  t.regex(table, /w1\s+3\n/);
  t.regex(await h.ok(['get', 'wd', '-o', 'wide']), /NAME\s+SIZE\s+PORT\nw1\s+3\s+http\n/);
  const created = await custom.createClusterCustomObject({
    group: 'example.com',
    version: 'v1',
    plural: 'widgets',
    body: {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w2' },
      spec: { size: 1, port: 8080, labels: { a: 'b' }, extra: { deep: { x: 1 } }, dropped: true },
    },
  });
  t.deepEqual(created.spec, { size: 1, port: 8080, labels: { a: 'b' }, extra: { deep: { x: 1 } } });
  t.is(created.metadata.namespace, undefined);
  const tooBig = await custom
    .createClusterCustomObject({
      group: 'example.com',
      version: 'v1',
      plural: 'widgets',
      body: {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w3' },
        spec: { size: 11, labels: { a: 1 } },
      },
    })
    .then(
      () => undefined,
      (e: k8s.ApiException<string>) => JSON.parse(e.body),
    );
  t.deepEqual(tooBig.details.causes.map((c: { field: string }) => c.field).sort(), ['spec.labels.a', 'spec.size']);
  t.regex(tooBig.message, /spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10/);
});

test('a bad CRD is refused with the fields named', async (t) => {
  const h = await harness();
  t.teardown(() => h.sim.close());
  const bad = parseYaml(WIDGETS);
  bad.metadata.name = 'widgets.other.com';
  bad.spec.scope = 'Galaxy';
  bad.spec.versions[0].storage = true;
  const r = await h.kubectl(['create', '-f', '-'], JSON.stringify(bad));
  t.not(r.code, 0);
  t.regex(r.stderr, /metadata.name: Invalid value: "widgets.other.com": must be spec.names.plural\+"."\+spec.group/);
  t.regex(r.stderr, /spec.scope: Unsupported value: "Galaxy"/);
  t.regex(r.stderr, /spec.versions: Invalid value: .*must have exactly one version marked as storage version/);
});

test("describe shows a pod's events; deleting a namespace deletes what is in it", async (t) => {
  const h = await harness();
  t.teardown(() => h.sim.close());
  const core = h.kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'games' } } });
  const pod = await core.createNamespacedPod({
    namespace: 'games',
    body: { metadata: { name: 'p' }, spec: { nodeName: 'node-1', containers: [{ name: 'a', image: 'x:1' }] } },
  });
  await core.createNamespacedEvent({
    namespace: 'games',
    body: {
      metadata: { name: 'p.1' },
      involvedObject: { kind: 'Pod', namespace: 'games', name: 'p', uid: pod.metadata!.uid!, apiVersion: 'v1' },
      reason: 'EipBound',
      message: 'bound 47.0.0.1 to 10.0.0.5',
      type: 'Normal',
      source: { component: 'podeip-agent' },
      firstTimestamp: new Date(),
      lastTimestamp: new Date(),
      count: 1,
    },
  });
  t.regex(
    await h.ok(['describe', 'pod', 'p', '-n', 'games']),
    /Normal\s+EipBound\s+\S+\s+podeip-agent\s+bound 47\.0\.0\.1 to 10\.0\.0\.5/,
  );
  t.regex(await h.ok(['get', 'events', '-n', 'games']), /Normal\s+EipBound\s+pod\/p\s+bound 47\.0\.0\.1/);
  await h.ok(['delete', 'namespace', 'games']);
  t.deepEqual((await core.listPodForAllNamespaces()).items, []);
  t.deepEqual((await core.listEventForAllNamespaces()).items, []);
});
