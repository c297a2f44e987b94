import { CloudApiError, invalidParameter, missingParameter } from '../errors.js';
import type { TagPair } from '../params.js';

export const MAX_TAGS_PER_RESOURCE = 20;

const RESERVED = /^(aliyun|acs:)/i;
const URL_PREFIX = /^https?:\/\//i;

/**
 * Validates request tags against the documented rules: key required, at most 128 characters,
 * not starting with aliyun / acs: / http(s)://; value at most 128 characters, no http(s):// prefix.
 */
export function validateTags(
  raw: Array<{ key: string | undefined; value: string | undefined; field: string }>,
): TagPair[] {
  const seen = new Set<string>();
  return raw.map(({ key, value, field }) => {
    if (key === undefined || key === '') {
      if (value !== undefined) throw invalidParameter(`${field}.Key`, 'a tag value needs a key');
      throw missingParameter(`${field}.Key`);
    }
    if (key.length > 128) throw invalidParameter(`${field}.Key`, 'at most 128 characters', 'InvalidTagKey');
    if (RESERVED.test(key) || URL_PREFIX.test(key)) {
      throw invalidParameter(
        `${field}.Key`,
        `"${key}" must not start with aliyun, acs:, http:// or https://`,
        'InvalidTagKey',
      );
    }
    const v = value ?? '';
    if (v.length > 128) throw invalidParameter(`${field}.Value`, 'at most 128 characters', 'InvalidTagValue');
    if (URL_PREFIX.test(v))
      throw invalidParameter(`${field}.Value`, 'must not start with http:// or https://', 'InvalidTagValue');
    if (seen.has(key))
      throw invalidParameter(`${field}.Key`, `tag key "${key}" is given twice`, 'InvalidTagKey.Duplicated');
    seen.add(key);
    return { key, value: v };
  });
}

/** Adds or overwrites tags, refusing to exceed the 20-tags-per-resource limit. */
export function applyTags(target: Map<string, string>, tags: TagPair[], resourceId: string): void {
  const after = new Set([...target.keys(), ...tags.map((t) => t.key)]);
  if (after.size > MAX_TAGS_PER_RESOURCE) {
    throw new CloudApiError(
      'QuotaExceeded.TagNum',
      400,
      `Resource ${resourceId} would carry ${after.size} tags; at most ${MAX_TAGS_PER_RESOURCE} are allowed.`,
    );
  }
  for (const { key, value } of tags) target.set(key, value);
}

/** True when every filter tag is present (a filter without a value matches any value). */
export function matchesTags(
  tags: Map<string, string>,
  filters: Array<{ key: string; value: string | undefined }>,
): boolean {
  return filters.every((f) => tags.has(f.key) && (f.value === undefined || tags.get(f.key) === f.value));
}
