/**
 * The EIP a pod asks for, read from its annotations. Every annotation of the product spec is
 * read under both prefixes (network.alibabacloud.com/ first, then k8s.aliyun.com/) plus the
 * compat keys; two spellings with different values are an error. Validation collects every
 * problem so the user fixes them in one go. Pure: no I/O.
 */
import { quoted } from '../../../lib/bounded-text.js';
import {
  ALLOCATION_ANNOTATIONS,
  annotationKeys,
  CONTROLLER_ANNOTATION_DECLARATION,
  CONTROLLER_NAME,
  MAX_BANDWIDTH,
  REQUEST_ANNOTATIONS,
  requestsEip,
  TAGS_ANNOTATION_DECLARATION,
  type AllocationFields,
  type AnnotationDeclaration,
} from '../../../lib/annotations.js';
import { BindingError, InvalidAnnotationError, type AnnotationProblem } from './errors.js';
import { MAX_TAGS } from '../cloud/types.js';
import { OWNERSHIP_TAG_KEYS } from './ownership.js';
import { parseReleaseStrategy, type ReleaseStrategy } from './release-strategy.js';

export const MAX_USER_TAGS = MAX_TAGS - OWNERSHIP_TAG_KEYS.length;

export interface EipRequest extends AllocationFields {
  /** The user's own EIP (static mode); undefined means allocate one. */
  instanceId?: string;
  userTags: Record<string, string>;
  releaseStrategy: ReleaseStrategy;
  /** True when pod-eip-release-strategy was written (Follow is then a choice, not the default). */
  releaseStrategyExplicit: boolean;
}

interface Lookup {
  key: string;
  value: string;
}

class Reader {
  readonly problems: AnnotationProblem[] = [];
  constructor(private readonly annotations: Readonly<Record<string, string>>) {}

  /** First spelling present wins; a different value under another spelling is a problem. */
  read(declaration: AnnotationDeclaration, normalize: (v: string) => string = (v) => v.trim()): Lookup | undefined {
    const keys = annotationKeys(declaration);
    let first: Lookup | undefined;
    for (const key of keys) {
      const raw = this.annotations[key];
      if (raw === undefined) continue;
      if (!first) {
        first = { key, value: raw.trim() };
        continue;
      }
      if (normalize(raw) !== normalize(first.value)) {
        this.problems.push({
          annotation: key,
          value: raw,
          problem: `conflicts with ${first.key}=${quoted(first.value)}; set one of them, or give both the same value`,
        });
      }
    }
    return first;
  }

  problem(at: Lookup, problem: string): void {
    this.problems.push({ annotation: at.key, value: at.value, problem });
  }
}

const ID_BODY = /^[a-z0-9][a-z0-9-]*$/;

function checkId(r: Reader, at: Lookup | undefined, prefix: string, what: string): string | undefined {
  if (!at || at.value === '') return undefined;
  const body = at.value.slice(prefix.length);
  if (!at.value.startsWith(prefix) || !ID_BODY.test(body) || at.value.length > 64) {
    r.problem(
      at,
      `not a valid ${what} ID; expected "${prefix}" followed by lower-case letters and digits, e.g. ${prefix}bp1xxxx`,
    );
    return undefined;
  }
  return at.value;
}

function checkEnum(r: Reader, at: Lookup | undefined, allowed: readonly string[]): string | undefined {
  if (!at || at.value === '') return undefined;
  if (allowed.includes(at.value)) return at.value;
  r.problem(at, `must be one of ${allowed.join(', ')}`);
  return undefined;
}

function checkText(r: Reader, at: Lookup | undefined, max: number): string | undefined {
  if (!at || at.value === '') return undefined;
  if (at.value.length > max) r.problem(at, `is ${at.value.length} characters; at most ${max} are allowed`);
  else if (/^https?:\/\//i.test(at.value)) r.problem(at, 'must not start with http:// or https://');
  else return at.value;
  return undefined;
}

function checkBandwidth(r: Reader, at: Lookup | undefined, chargeType: keyof typeof MAX_BANDWIDTH): string | undefined {
  if (!at || at.value === '') return undefined;
  const max = MAX_BANDWIDTH[chargeType];
  if (!/^\d+$/.test(at.value) || Number(at.value) < 1 || Number(at.value) > max) {
    r.problem(
      at,
      `must be a whole number of Mbit/s from 1 to ${max} for ${chargeType}` +
        (chargeType === 'PayByTraffic'
          ? ` (up to ${MAX_BANDWIDTH.PayByBandwidth} with eip-internet-charge-type PayByBandwidth)`
          : ''),
    );
    return undefined;
  }
  return String(Number(at.value));
}

function checkEnumList(
  r: Reader,
  at: Lookup | undefined,
  allowed: readonly string[],
  item: string,
): string[] | undefined {
  if (!at || at.value === '') return undefined;
  const items = at.value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = items.filter((s) => !allowed.includes(s));
  if (unknown.length > 0) r.problem(at, `unknown ${item}(s) ${unknown.join(', ')}; valid: ${allowed.join(', ')}`);
  else if (new Set(items).size !== items.length) r.problem(at, `lists a ${item} twice; name each once`);
  else if (items.length > 0) return items;
  return undefined;
}

function tagKeyProblem(key: string): string | undefined {
  if (key.trim() === '') return 'has an empty tag key; every key needs at least one character';
  if (key.length > 128) return `has tag key ${JSON.stringify(key.slice(0, 20))}... longer than 128 characters`;
  if (/^(aliyun|acs:)/i.test(key))
    return `has tag key ${JSON.stringify(key)}; keys must not start with "aliyun" or "acs:"`;
  if (key.startsWith('podeip.io/'))
    return `has tag key ${JSON.stringify(key)}; the podeip.io/ prefix is reserved for podeip's ownership tags`;
  if (/^https?:\/\//i.test(key))
    return `has tag key ${JSON.stringify(key)}; keys must not start with http:// or https://`;
  return undefined;
}

function checkTags(r: Reader, at: Lookup | undefined): Record<string, string> {
  if (!at || at.value === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(at.value);
  } catch {
    r.problem(at, 'is not valid JSON; write a JSON object of string values, e.g. {"team":"games"}');
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    r.problem(at, 'must be a JSON object of string values, e.g. {"team":"games"}');
    return {};
  }
  const tags: Record<string, string> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(parsed)) {
    const keyProblem = tagKeyProblem(key);
    if (keyProblem) problems.push(keyProblem);
    else if (typeof value !== 'string')
      problems.push(`has a non-string value for tag ${JSON.stringify(key)}; quote it`);
    else if (value.length > 128) problems.push(`has a value longer than 128 characters for tag ${JSON.stringify(key)}`);
    else if (/^(aliyun|acs:)/i.test(value))
      problems.push(
        `has a value for tag ${JSON.stringify(key)} starting with "aliyun" or "acs:", which the cloud rejects`,
      );
    else tags[key] = value;
  }
  const count = Object.keys(parsed).length;
  if (count > MAX_USER_TAGS) {
    problems.push(
      `has ${count} tags; at most ${MAX_USER_TAGS} fit, since an EIP holds ${MAX_TAGS} tags and podeip adds ${OWNERSHIP_TAG_KEYS.length} ownership tags`,
    );
  }
  for (const p of problems) r.problem(at, p);
  return problems.length === 0 ? tags : {};
}

function checkReleaseStrategy(r: Reader, at: Lookup | undefined): ReleaseStrategy {
  if (!at || at.value === '') return { kind: 'Follow' };
  const strategy = parseReleaseStrategy(at.value);
  if (strategy) return strategy;
  r.problem(at, 'must be Follow, Never, or a positive Go duration such as 10m or 5m30s');
  return { kind: 'Follow' };
}

type AllocationKind = (typeof ALLOCATION_ANNOTATIONS)[number]['kind'];

/** One creation parameter's value, checked by its declared kind and limits. */
function checkAllocation(r: Reader, at: Lookup | undefined, kind: AllocationKind, request: EipRequest): unknown {
  switch (kind.type) {
    case 'enum':
      return checkEnum(r, at, kind.values);
    case 'bandwidth':
      return checkBandwidth(r, at, request.internetChargeType ?? 'PayByTraffic');
    case 'id':
      return checkId(r, at, kind.prefix, kind.what);
    case 'text':
      return checkText(r, at, kind.max);
    case 'enum-list':
      return checkEnumList(r, at, kind.values, kind.item);
    default: {
      // A declaration with a kind no checker reads fails to compile here.
      const unchecked: never = kind;
      return unchecked;
    }
  }
}

const lowerTrim = (v: string) => v.trim().toLowerCase();

/**
 * The pod's EIP request, or undefined when it asks for none. Throws InvalidAnnotationError
 * listing every problem, or ForeignController when another controller owns the pod's EIP.
 */
export function parseEipRequest(annotations: Readonly<Record<string, string>>): EipRequest | undefined {
  const r = new Reader(annotations);
  const flag = r.read(REQUEST_ANNOTATIONS.podWithEip, lowerTrim);
  const instance = r.read(REQUEST_ANNOTATIONS.podEipInstanceId);
  if (flag && !['true', 'false'].includes(flag.value.toLowerCase())) {
    r.problem(flag, 'must be "true" or "false"');
  }
  if (instance && instance.value === '' && annotations[instance.key] !== '') {
    r.problem(instance, 'is blank; write the EIP instance ID, e.g. eip-bp1xxxx, or remove the annotation');
  }
  if (!requestsEip(annotations) && r.problems.length === 0) return undefined;

  const controller = r.read(CONTROLLER_ANNOTATION_DECLARATION);
  if (controller && controller.value !== '' && controller.value.toLowerCase() !== CONTROLLER_NAME) {
    throw new BindingError(
      'ForeignController',
      `annotation ${controller.key}=${quoted(controller.value)} hands this pod's EIP to another controller; ` +
        `podeip leaves it alone. Remove the annotation or set it to "${CONTROLLER_NAME}" to let podeip bind the EIP`,
    );
  }

  const request: EipRequest = {
    userTags: {},
    releaseStrategy: { kind: 'Follow' },
    releaseStrategyExplicit: false,
  };
  const instanceId = checkId(r, instance, 'eip-', 'EIP instance');
  if (instanceId !== undefined) request.instanceId = instanceId;
  for (const declaration of ALLOCATION_ANNOTATIONS) {
    const value = checkAllocation(r, r.read(declaration), declaration.kind, request);
    if (value !== undefined) (request as unknown as Record<string, unknown>)[declaration.allocate.field] = value;
  }
  request.userTags = checkTags(r, r.read(TAGS_ANNOTATION_DECLARATION));
  const strategy = r.read(REQUEST_ANNOTATIONS.releaseStrategy, lowerTrim);
  request.releaseStrategy = checkReleaseStrategy(r, strategy);
  request.releaseStrategyExplicit = strategy !== undefined && strategy.value !== '';

  if (r.problems.length > 0) throw new InvalidAnnotationError(r.problems);
  return request;
}
