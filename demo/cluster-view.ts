/**
 * What the demo does with the Kubernetes API and shows of it. With kubectl installed, the real
 * kubectl runs and its output is shown; without it, the same requests go through
 * @kubernetes/client-node and the output is rendered in kubectl's shape, under the kubectl command
 * each step stands for, so the story is the same on a machine that has only Node.js.
 */
import { stringify as toYaml } from 'yaml';
import type { KubernetesObjectApi, KubernetesObject } from '@kubernetes/client-node';
import { createFromFile, objectApi } from '../sim/stack/apply.js';
import { Kubectl } from '../sim/stack/kubectl.js';
import { findKubectl } from '../lib/host-tools.js';
import { command } from './narrate.js';

const PODEIP_API = 'alibabacloud.com/v1beta1';
const ALLOCATED_ANNOTATION = 'k8s.aliyun.com/allocated-eipAddress';

export interface ClusterView {
  /** Which client answers: "kubectl (/usr/bin/kubectl)" or "@kubernetes/client-node". */
  readonly client: string;
  applyFile(path: string): Promise<void>;
  apply(manifest: KubernetesObject, options?: { echo?: boolean }): Promise<void>;
  uid(kind: 'Pod' | 'StatefulSet', name: string): Promise<string>;
  showAllocatedAnnotation(pod: string): Promise<void>;
  showPodEip(name: string): Promise<void>;
  showPodEipYaml(name: string): Promise<void>;
  showPodConditions(pod: string): Promise<void>;
  podEipField(name: string, field: PodEipField): Promise<string>;
  podEipNames(): Promise<string[]>;
  showPodEips(): Promise<void>;
  /** Events in the order they were written (resourceVersion), oldest first. */
  showEvents(): Promise<void>;
  deletePod(name: string): Promise<void>;
}

export function clusterView(kubeconfigPath: string): ClusterView {
  const kubectl = findKubectl();
  return kubectl
    ? new KubectlView(new Kubectl(kubeconfigPath, undefined, kubectl), kubectl)
    : new ClientNodeView(kubeconfigPath);
}

const EVENT_COLUMNS = 'OBJECT:.involvedObject.name,TYPE:.type,REASON:.reason,COUNT:.count,MESSAGE:.message';
export type PodEipField = 'status.eipAddress' | 'status.status' | 'spec.allocationID';
const podEipPath = (field: string): string => `jsonpath={.${field}}`;

class KubectlView implements ClusterView {
  readonly client: string;
  constructor(
    private readonly kubectl: Kubectl,
    path: string,
  ) {
    this.client = `kubectl (${path})`;
  }

  async applyFile(path: string): Promise<void> {
    await this.kubectl.run(['apply', '-f', path], { echo: true });
  }

  async apply(manifest: KubernetesObject, options: { echo?: boolean } = {}): Promise<void> {
    await this.kubectl.run(['apply', '-f', '-'], {
      input: JSON.stringify(manifest),
      echo: options.echo ?? false,
      echoInput: manifest,
    });
  }

  async uid(kind: 'Pod' | 'StatefulSet', name: string): Promise<string> {
    return (await this.kubectl.run(['get', kind.toLowerCase(), name, '-o', 'jsonpath={.metadata.uid}'])).trim();
  }

  async showAllocatedAnnotation(pod: string): Promise<void> {
    await this.kubectl.run(
      ['get', 'pod', pod, '-o', `jsonpath={.metadata.annotations.${ALLOCATED_ANNOTATION.replaceAll('.', '\\.')}}`],
      { echo: true },
    );
  }

  async showPodEip(name: string): Promise<void> {
    await this.kubectl.run(['get', 'podeip', name], { echo: true });
  }

  async showPodEipYaml(name: string): Promise<void> {
    await this.kubectl.run(['get', 'podeip', name, '-o', 'yaml'], { echo: true });
  }

  async showPodConditions(pod: string): Promise<void> {
    await this.kubectl.run(
      ['get', 'pod', pod, '-o', 'jsonpath={range .status.conditions[*]}{.type}={.status} ({.reason}){"\\n"}{end}'],
      { echo: true },
    );
  }

  async podEipField(name: string, field: PodEipField): Promise<string> {
    return (await this.kubectl.run(['get', 'podeip', name, '-o', podEipPath(field)])).trim();
  }

  async podEipNames(): Promise<string[]> {
    return (await this.kubectl.run(['get', 'podeip', '-o', 'jsonpath={.items[*].metadata.name}']))
      .split(/\s+/)
      .filter(Boolean);
  }

  async showPodEips(): Promise<void> {
    await this.kubectl.run(['get', 'podeip'], { echo: true });
  }

  async showEvents(): Promise<void> {
    await this.kubectl.run(
      ['get', 'events', '--sort-by=.metadata.resourceVersion', '-o', `custom-columns=${EVENT_COLUMNS}`],
      { echo: true },
    );
  }

  async deletePod(name: string): Promise<void> {
    await this.kubectl.run(['delete', 'pod', name, '--grace-period=0', '--force'], { echo: true });
  }
}

interface PrinterColumn {
  name: string;
  jsonPath: string;
  priority?: number;
}

class ClientNodeView implements ClusterView {
  readonly client =
    '@kubernetes/client-node (kubectl is not on PATH; each step shows the kubectl command it stands for)';
  private readonly objects: KubernetesObjectApi;
  private podEipColumns: PrinterColumn[] = [];

  constructor(kubeconfigPath: string) {
    this.objects = objectApi(kubeconfigPath);
  }

  async applyFile(path: string): Promise<void> {
    command(`kubectl apply -f ${path}`);
    for (const created of await createFromFile(this.objects, path)) {
      const manifest = created as KubernetesObject & {
        spec?: { versions?: Array<{ additionalPrinterColumns?: PrinterColumn[] }> };
      };
      if (manifest.kind === 'CustomResourceDefinition' && manifest.metadata?.name === 'podeips.alibabacloud.com') {
        this.podEipColumns = manifest.spec?.versions?.[0]?.additionalPrinterColumns ?? [];
      }
      process.stdout.write(
        `${manifest.kind!.toLowerCase()}.${groupOf(manifest.apiVersion!)}/${manifest.metadata!.name} created\n`.replace(
          '.core/',
          '/',
        ),
      );
    }
  }

  async apply(manifest: KubernetesObject, options: { echo?: boolean } = {}): Promise<void> {
    if (options.echo) {
      command('kubectl apply -f -');
      process.stdout.write(`${JSON.stringify(manifest)}\n`);
    }
    await this.objects.create(manifest);
    if (options.echo) process.stdout.write(`${manifest.kind!.toLowerCase()}/${manifest.metadata!.name} created\n`);
  }

  async uid(kind: 'Pod' | 'StatefulSet', name: string): Promise<string> {
    const apiVersion = kind === 'Pod' ? 'v1' : 'apps/v1';
    return (await this.objects.read({ apiVersion, kind, metadata: { name, namespace: 'default' } })).metadata!.uid!;
  }

  async showAllocatedAnnotation(pod: string): Promise<void> {
    command(
      `kubectl get pod ${pod} -o 'jsonpath={.metadata.annotations.${ALLOCATED_ANNOTATION.replaceAll('.', '\\.')}}'`,
    );
    process.stdout.write(`${(await this.pod(pod)).metadata?.annotations?.[ALLOCATED_ANNOTATION] ?? ''}\n`);
  }

  async showPodEip(name: string): Promise<void> {
    command(`kubectl get podeip ${name}`);
    process.stdout.write(this.podEipTable([await this.podEip(name)]));
  }

  async showPodEipYaml(name: string): Promise<void> {
    command(`kubectl get podeip ${name} -o yaml`);
    process.stdout.write(toYaml(await this.podEip(name)));
  }

  async showPodConditions(pod: string): Promise<void> {
    command(
      `kubectl get pod ${pod} -o 'jsonpath={range .status.conditions[*]}{.type}={.status} ({.reason}){"\\n"}{end}'`,
    );
    const conditions =
      ((await this.pod(pod)) as { status?: { conditions?: Array<{ type: string; status: string; reason?: string }> } })
        .status?.conditions ?? [];
    process.stdout.write(conditions.map((c) => `${c.type}=${c.status} (${c.reason ?? ''})\n`).join(''));
  }

  async podEipField(name: string, field: PodEipField): Promise<string> {
    return String(valueAt(await this.podEip(name), `.${field}`) ?? '');
  }

  async podEipNames(): Promise<string[]> {
    return (await this.podEips()).map((p) => p.metadata!.name!);
  }

  async showPodEips(): Promise<void> {
    command('kubectl get podeip');
    const items = await this.podEips();
    process.stdout.write(items.length ? this.podEipTable(items) : 'No resources found in default namespace.\n');
  }

  async showEvents(): Promise<void> {
    command(`kubectl get events --sort-by=.metadata.resourceVersion -o custom-columns=${EVENT_COLUMNS}`);
    const list = await this.objects.list('v1', 'Event', 'default');
    const events = [...list.items].sort(
      (a, b) => Number(a.metadata?.resourceVersion) - Number(b.metadata?.resourceVersion),
    );
    const columns = EVENT_COLUMNS.split(',').map((c) => {
      const [name, path] = c.split(':');
      return { name: name!, jsonPath: path! };
    });
    process.stdout.write(renderTable(columns, events));
  }

  async deletePod(name: string): Promise<void> {
    command(`kubectl delete pod ${name} --grace-period=0 --force`);
    await this.objects.delete(
      { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' } },
      undefined,
      undefined,
      0,
    );
    process.stdout.write(`pod "${name}" force deleted\n`);
  }

  private pod(name: string): Promise<KubernetesObject> {
    return this.objects.read({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' } });
  }

  private podEip(name: string): Promise<KubernetesObject> {
    return this.objects.read({ apiVersion: PODEIP_API, kind: 'PodEIP', metadata: { name, namespace: 'default' } });
  }

  private async podEips(): Promise<KubernetesObject[]> {
    return (await this.objects.list(PODEIP_API, 'PodEIP', 'default')).items;
  }

  private podEipTable(items: KubernetesObject[]): string {
    // kubectl's default table: priority-0 columns; the age is left out.
    const columns = this.podEipColumns.filter((c) => !c.priority && c.name !== 'Age');
    return renderTable(
      [
        { name: 'NAME', jsonPath: '.metadata.name' },
        ...columns.map((c) => ({ name: c.name.toUpperCase(), jsonPath: c.jsonPath })),
      ],
      items,
    );
  }
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0]! : 'core';
}

function valueAt(object: unknown, jsonPath: string): unknown {
  return jsonPath
    .split('.')
    .filter(Boolean)
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], object);
}

function renderTable(columns: PrinterColumn[], items: unknown[]): string {
  const rows = items.map((item) =>
    columns.map((c) => {
      const v = valueAt(item, c.jsonPath);
      return v === undefined || v === '' ? '<none>' : String(v);
    }),
  );
  const widths = columns.map((c, i) => Math.max(c.name.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    `${cells
      .map((cell, i) => cell.padEnd(widths[i]! + 3))
      .join('')
      .trimEnd()}\n`;
  return line(columns.map((c) => c.name)) + rows.map(line).join('');
}
