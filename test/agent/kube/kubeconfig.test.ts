import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { CoreV1Api } from '@kubernetes/client-node';
import { loadKubeConfig } from '../../../agent/src/kube/kubeconfig.js';

test('API requests share one kept-alive connection instead of opening one each', async (t) => {
  let connections = 0;
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'NamespaceList', metadata: {}, items: [] }));
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const dir = mkdtempSync(join(tmpdir(), 'podeip-kubeconfig-'));
  const file = join(dir, 'kubeconfig');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "http://127.0.0.1:${(server.address() as AddressInfo).port}", insecure-skip-tls-verify: true } }]
users: [{ name: u, user: {} }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`,
  );
  const core = loadKubeConfig({ kubeconfig: file, env: {} }).makeApiClient(CoreV1Api);
  for (let i = 0; i < 5; i++) t.deepEqual((await core.listNamespace()).items, []);
  t.is(connections, 1);
});
