/**
 * Server-side printing: the meta.k8s.io/v1 Table that `kubectl get` asks for with
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`. Custom resources get their CRD's
 * additionalPrinterColumns; built-in types get the columns kubectl users know.
 */
import { firstMatch } from './jsonpath.js';
import type { KubeObject, ResourceType } from './resources.js';

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

type Cell = string | number | boolean | null;

interface Column {
  def: ColumnDefinition;
  cell: (obj: KubeObject, now: Date) => Cell;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

export function toTable(
  t: ResourceType,
  objects: KubeObject[],
  listMeta: KubeObject,
  include: IncludeObject,
  now: Date,
): KubeObject {
  const columns = columnsFor(t);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: columns.map((c) => c.def),
    rows: objects.map((obj) => {
      const row: KubeObject = { cells: columns.map((c) => c.cell(obj, now)) };
      if (include === 'Object') row.object = obj;
      else if (include === 'Metadata')
        row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
      return row;
    }),
  };
}

function col(
  name: string,
  cell: Column['cell'],
  opts: { type?: string; format?: string; priority?: number; description?: string } = {},
): Column {
  return {
    def: {
      name,
      type: opts.type ?? 'string',
      format: opts.format ?? '',
      description: opts.description ?? name,
      priority: opts.priority ?? 0,
    },
    cell,
  };
}

const NAME = col('Name', (o) => o.metadata.name, {
  format: 'name',
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically.',
});
const AGE = col('Age', (o, now) => age(o.metadata.creationTimestamp, now), {
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
});

const BUILTIN_COLUMNS: Record<string, Column[]> = {
  pods: [
    NAME,
    col(
      'Ready',
      (o) =>
        `${(o.status?.containerStatuses ?? []).filter((s: KubeObject) => s.ready).length}/${(o.spec?.containers ?? []).length}`,
    ),
    col('Status', (o) => (o.metadata.deletionTimestamp ? 'Terminating' : (o.status?.reason ?? o.status?.phase ?? ''))),
    col(
      'Restarts',
      (o) => (o.status?.containerStatuses ?? []).reduce((n: number, s: KubeObject) => n + (s.restartCount ?? 0), 0),
      { type: 'string' },
    ),
    AGE,
    col('IP', (o) => o.status?.podIP ?? '<none>', { priority: 1 }),
    col('Node', (o) => o.spec?.nodeName ?? '<none>', { priority: 1 }),
    col('Nominated Node', (o) => o.status?.nominatedNodeName ?? '<none>', { priority: 1 }),
    col('Readiness Gates', (o) => readinessGates(o), { priority: 1 }),
  ],
  nodes: [
    NAME,
    col('Status', (o) => nodeStatus(o)),
    col('Roles', (o) => nodeRoles(o)),
    AGE,
    col('Version', (o) => o.status?.nodeInfo?.kubeletVersion ?? ''),
    col('Internal-IP', (o) => nodeAddress(o, 'InternalIP'), { priority: 1 }),
    col('External-IP', (o) => nodeAddress(o, 'ExternalIP'), { priority: 1 }),
  ],
  namespaces: [NAME, col('Status', (o) => o.status?.phase ?? 'Active'), AGE],
  events: [
    col('Last Seen', (o, now) =>
      age(o.lastTimestamp ?? o.deprecatedLastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp, now),
    ),
    col('Type', (o) => o.type ?? ''),
    col('Reason', (o) => o.reason ?? ''),
    col('Object', (o) => {
      const ref = o.involvedObject ?? o.regarding ?? {};
      return `${String(ref.kind ?? '').toLowerCase()}/${ref.name ?? ''}`;
    }),
    col('Message', (o) => o.message ?? o.note ?? ''),
  ],
  leases: [NAME, col('Holder', (o) => o.spec?.holderIdentity ?? ''), AGE],
  configmaps: [
    NAME,
    col('Data', (o) => Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length, { type: 'integer' }),
    AGE,
  ],
  secrets: [
    NAME,
    col('Type', (o) => o.type ?? 'Opaque'),
    col('Data', (o) => Object.keys(o.data ?? {}).length, { type: 'integer' }),
    AGE,
  ],
  customresourcedefinitions: [NAME, col('Created At', (o) => o.metadata.creationTimestamp, { type: 'date' })],
};

function columnsFor(t: ResourceType): Column[] {
  if (t.custom) {
    const extra = t.custom.printerColumns.map((p) =>
      col(p.name, (o, now) => cellFor(p.type, firstMatch(o, p.jsonPath), now), {
        type: p.type,
        format: p.format ?? '',
        priority: p.priority ?? 0,
        description: p.description ?? p.name,
      }),
    );
    return extra.length ? [NAME, ...extra] : [NAME, AGE];
  }
  return BUILTIN_COLUMNS[t.plural] ?? [NAME, AGE];
}

function cellFor(type: string, value: unknown, now: Date): Cell {
  if (value === undefined || value === null) return null;
  if (type === 'date') return typeof value === 'string' ? age(value, now) : null;
  if (type === 'integer' || type === 'number') return typeof value === 'number' ? value : Number(value);
  if (type === 'boolean') return typeof value === 'boolean' ? value : value === 'true';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function readinessGates(o: KubeObject): string {
  const gates: KubeObject[] = o.spec?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const conditions: KubeObject[] = o.status?.conditions ?? [];
  const met = gates.filter((g) => conditions.some((c) => c.type === g.conditionType && c.status === 'True')).length;
  return `${met}/${gates.length}`;
}

function nodeStatus(o: KubeObject): string {
  const ready = (o.status?.conditions ?? []).find((c: KubeObject) => c.type === 'Ready');
  const base = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
  return o.spec?.unschedulable ? `${base},SchedulingDisabled` : base;
}

function nodeRoles(o: KubeObject): string {
  const roles = Object.keys(o.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length));
  return roles.length ? roles.join(',') : '<none>';
}

function nodeAddress(o: KubeObject, type: string): string {
  return (o.status?.addresses ?? []).find((a: KubeObject) => a.type === type)?.address ?? '<none>';
}

/** kubectl's short human duration: 45s, 3m20s, 12m, 5h3m, 3d4h, 120d. */
export function age(since: unknown, now: Date): string {
  if (typeof since !== 'string') return '<unknown>';
  const seconds = Math.floor((now.getTime() - Date.parse(since)) / 1000);
  if (Number.isNaN(seconds)) return '<unknown>';
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 192) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  return `${days}d`;
}
