/**
 * A ValidatingAdmissionPolicy evaluated the way the API server does for one request, with a
 * CEL interpreter: match the resource and operation, then every matchCondition, then the
 * variables in order, then each validation; the first that is false denies with its message.
 * Enough of the admission chain to try our policies' expressions against tenants' requests.
 */
import { evaluate } from '@marcbachmann/cel-js';

export interface AdmissionRequest {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  group: string;
  resource: string;
  subresource?: string;
  userInfo: { username: string; groups?: string[]; extra?: Record<string, string[]> };
  object: unknown;
  oldObject: unknown;
}

interface ResourceRule {
  apiGroups: string[];
  operations: string[];
  resources: string[];
}
interface Named {
  name: string;
  expression: string;
}
interface Validation {
  expression: string;
  message?: string;
  messageExpression?: string;
}
export interface PolicySpec {
  matchConstraints: { resourceRules: ResourceRule[] };
  matchConditions?: Named[];
  variables?: Named[];
  validations: Validation[];
}

export type AdmissionResult =
  { matched: false } | { matched: true; allowed: true } | { matched: true; allowed: false; message: string };

const anyOf = (list: string[], value: string) => list.includes('*') || list.includes(value);

export function admit(spec: PolicySpec, req: AdmissionRequest): AdmissionResult {
  const resource = req.subresource ? `${req.resource}/${req.subresource}` : req.resource;
  const matches = spec.matchConstraints.resourceRules.some(
    (r) => anyOf(r.apiGroups, req.group) && anyOf(r.operations, req.operation) && anyOf(r.resources, resource),
  );
  if (!matches) return { matched: false };
  const context: Record<string, unknown> = {
    request: { operation: req.operation, userInfo: { groups: [], extra: {}, ...req.userInfo } },
    object: req.object,
    oldObject: req.oldObject,
    variables: {},
  };
  for (const condition of spec.matchConditions ?? []) {
    if (evaluate(condition.expression, context) !== true) return { matched: false };
  }
  const variables: Record<string, unknown> = {};
  context.variables = variables;
  for (const variable of spec.variables ?? []) variables[variable.name] = evaluate(variable.expression, context);
  for (const validation of spec.validations) {
    if (evaluate(validation.expression, context) === true) continue;
    const message = validation.messageExpression
      ? String(evaluate(validation.messageExpression, context))
      : (validation.message ?? validation.expression);
    return { matched: true, allowed: false, message };
  }
  return { matched: true, allowed: true };
}
