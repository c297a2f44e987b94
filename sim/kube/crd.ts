/**
 * CustomResourceDefinitions: checking a definition, turning its served versions into resource
 * types, and the status a real server's CRD controllers would write (names accepted, established).
 */
import type { CustomVersion, JsonSchemaProps, PrinterColumn } from './crd-types.js';
import { storageKey, type KubeObject, type ResourceType } from './resources.js';
import type { StatusCause } from './status.js';

export function validateCrd(crd: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = crd.spec ?? {};
  const need = (ok: boolean, field: string): void => {
    if (!ok) causes.push({ reason: 'FieldValueRequired', message: 'Required value', field });
  };
  need(typeof spec.group === 'string' && spec.group.length > 0, 'spec.group');
  need(typeof spec.names?.plural === 'string' && spec.names.plural.length > 0, 'spec.names.plural');
  need(typeof spec.names?.kind === 'string' && spec.names.kind.length > 0, 'spec.names.kind');
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: "${spec.scope ?? ''}": supported values: "Cluster", "Namespaced"`,
      field: 'spec.scope',
    });
  }
  const versions: KubeObject[] = Array.isArray(spec.versions) ? spec.versions : [];
  if (versions.length === 0) need(false, 'spec.versions');
  const storageCount = versions.filter((v) => v.storage === true).length;
  if (versions.length > 0 && storageCount !== 1) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(versions.map((v) => v.name))}: must have exactly one version marked as storage version`,
      field: 'spec.versions',
    });
  }
  versions.forEach((v, i) => {
    if (!v.name) need(false, `spec.versions[${i}].name`);
    const schema = v.schema?.openAPIV3Schema;
    if (!schema) need(false, `spec.versions[${i}].schema.openAPIV3Schema`);
    else if (schema.type !== 'object') {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${schema.type ?? ''}": must be object at the root`,
        field: `spec.versions[${i}].schema.openAPIV3Schema.type`,
      });
    }
  });
  if (spec.group && spec.names?.plural && crd.metadata?.name !== `${spec.names.plural}.${spec.group}`) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${crd.metadata?.name}": must be spec.names.plural+"."+spec.group`,
      field: 'metadata.name',
    });
  }
  return causes;
}

export function storageVersionOf(crd: KubeObject): string {
  return (crd.spec.versions as KubeObject[]).find((v) => v.storage === true)!.name;
}

export function crdTypes(crd: KubeObject): ResourceType[] {
  const spec = crd.spec;
  return (spec.versions as KubeObject[])
    .filter((v) => v.served !== false)
    .map((v) => {
      const custom: CustomVersion = {
        crdName: crd.metadata.name,
        printerColumns: (v.additionalPrinterColumns ?? []) as PrinterColumn[],
      };
      const schema = v.schema?.openAPIV3Schema as JsonSchemaProps | undefined;
      if (schema) custom.schema = schema;
      return {
        group: spec.group,
        version: v.name,
        kind: spec.names.kind,
        listKind: spec.names.listKind ?? `${spec.names.kind}List`,
        plural: spec.names.plural,
        singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
        namespaced: spec.scope === 'Namespaced',
        shortNames: spec.names.shortNames ?? [],
        categories: spec.names.categories ?? [],
        statusSubresource: v.subresources?.status !== undefined,
        storage: storageKey(spec.group, spec.names.plural),
        fieldLabels: [],
        strategicMerge: false,
        custom,
      };
    });
}

export function establishedStatus(crd: KubeObject, now: string): KubeObject {
  const names = crd.spec.names;
  const condition = (type: string, reason: string, message: string): KubeObject => ({
    type,
    status: 'True',
    lastTransitionTime: now,
    reason,
    message,
  });
  return {
    acceptedNames: {
      plural: names.plural,
      singular: names.singular ?? names.kind.toLowerCase(),
      kind: names.kind,
      listKind: names.listKind ?? `${names.kind}List`,
      ...(names.shortNames ? { shortNames: names.shortNames } : {}),
      ...(names.categories ? { categories: names.categories } : {}),
    },
    conditions: [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    storedVersions: [storageVersionOf(crd)],
  };
}
