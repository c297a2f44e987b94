import { CloudApiError, invalidParameter, missingParameter } from '../../errors.js';
import type { EipRecord } from '../../state/eips.js';
import { applyTags, matchesTags, validateTags } from '../../state/tags.js';
import { type ActionContext, type ApiAction, VPC_VERSION } from '../types.js';

function resourceType(ctx: ActionContext): void {
  if (ctx.params.enumOf('ResourceType', ['EIP'], { ignoreCase: true }) === undefined)
    throw missingParameter('ResourceType');
}

function resources(ctx: ActionContext, required: boolean): EipRecord[] | undefined {
  const ids = ctx.params.list('ResourceId', 50);
  if (ids.length === 0) {
    if (required) throw missingParameter('ResourceId.1');
    return undefined;
  }
  return ids.map((id) => {
    const eip = ctx.state.eips.get(id);
    if (!eip) throw new CloudApiError('InvalidResourceId.NotFound', 404, `The EIP "${id}" does not exist.`);
    return eip;
  });
}

export const tagResources: ApiAction = {
  name: 'TagResources',
  version: VPC_VERSION,
  idempotent: false,
  run(ctx) {
    resourceType(ctx);
    const targets = resources(ctx, true)!;
    const tags = validateTags(ctx.params.tags(20));
    if (tags.length === 0) throw missingParameter('Tag.1.Key');
    for (const eip of targets) ctx.state.eips.assertIdle(eip);
    // All or nothing: every target must stay within the tag limit before any is changed.
    for (const eip of targets) applyTags(new Map(eip.tags), tags, eip.allocationId);
    for (const eip of targets) applyTags(eip.tags, tags, eip.allocationId);
    return {};
  },
};

export const unTagResources: ApiAction = {
  name: 'UnTagResources',
  version: VPC_VERSION,
  idempotent: false,
  run(ctx) {
    resourceType(ctx);
    const targets = resources(ctx, true)!;
    const keys = ctx.params.list('TagKey', 20);
    const all = ctx.params.bool('All') ?? false;
    if (keys.length === 0 && !all) throw missingParameter('TagKey.1');
    for (const eip of targets) ctx.state.eips.assertIdle(eip);
    for (const eip of targets) {
      if (keys.length === 0) eip.tags.clear();
      for (const key of keys) eip.tags.delete(key);
    }
    return {};
  },
};

export const listTagResources: ApiAction = {
  name: 'ListTagResources',
  version: VPC_VERSION,
  idempotent: false,
  run(ctx) {
    const { params, state } = ctx;
    resourceType(ctx);
    const maxResults = params.int('MaxResults', { min: 1, max: 50 }) ?? 50;
    const filters = params.tags(20).map((t) => {
      if (!t.key) throw invalidParameter(`${t.field}.Key`, 'Tag.N.Value needs Tag.N.Key');
      return { key: t.key, value: t.value };
    });
    const listed = resources(ctx, false);
    if (!listed && filters.length === 0) throw missingParameter('ResourceId.1 or Tag.1.Key');
    const eips = (listed ?? state.eips.list()).filter((e) => matchesTags(e.tags, filters));
    const rows = eips.flatMap((e) =>
      [...e.tags]
        .filter(([key]) => filters.length === 0 || filters.some((f) => f.key === key))
        .map(([TagKey, TagValue]) => ({ ResourceId: e.allocationId, ResourceType: 'EIP', TagKey, TagValue })),
    );
    const token = params.optional('NextToken');
    const start = token === undefined ? 0 : Number(token);
    if (!Number.isInteger(start) || start < 0 || start > rows.length)
      throw invalidParameter('NextToken', `"${token}" was not issued by this service`);
    const end = start + maxResults;
    return {
      NextToken: end < rows.length ? String(end) : '',
      TagResources: { TagResource: rows.slice(start, end) },
    };
  },
};
