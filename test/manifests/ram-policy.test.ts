/**
 * manifests/ram-policy.json and manifests/ram-policy-tag-scoped.json grant exactly the OpenAPI
 * actions the agent's cloud client can call; the tag-scoped one allows the irreversible and
 * disruptive ones (release, unbind) only on EIPs carrying the tag the agent writes.
 */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { CLOUD_ACTIONS } from '../../agent/src/cloud/budgets.js';
import { TAG_CLUSTER_ID } from '../../agent/src/domain/ownership.js';
import { repoPath } from './repo.js';

interface Statement {
  Effect: string;
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string[]>>;
}
interface Policy {
  Version: string;
  Statement: Statement[];
}

/** The RAM product prefix of each action the agent calls: all VPC, except the ECS ENI lookup. */
const productOf = (action: string) => (action === 'DescribeNetworkInterfaces' ? 'ecs' : 'vpc');
const AGENT_ACTIONS = CLOUD_ACTIONS.map((a) => `${productOf(a)}:${a}`).sort();
/** What changes or destroys an existing EIP and names the EIP as the request's resource. */
const TAG_SCOPED = [
  'vpc:ReleaseEipAddress',
  'vpc:UnassociateEipAddress',
  'vpc:ModifyEipAddressAttribute',
  'vpc:UnTagResources',
];

const load = async (file: string) => JSON.parse(await readFile(repoPath('manifests', file), 'utf8')) as Policy;

test('the plain RAM policy is a full policy document allowing exactly the actions the agent calls', async (t) => {
  const policy = await load('ram-policy.json');
  t.is(policy.Version, '1');
  t.is(policy.Statement.length, 1);
  const [statement] = policy.Statement;
  t.is(statement!.Effect, 'Allow');
  t.deepEqual(statement!.Resource, ['*']);
  t.is(new Set(statement!.Action).size, statement!.Action.length, 'no action listed twice');
  t.deepEqual([...statement!.Action].sort(), AGENT_ACTIONS);
});

test('the tag-scoped RAM policy allows the same actions, release, unbind, modify and untag only on EIPs tagged with the cluster id', async (t) => {
  const policy = await load('ram-policy-tag-scoped.json');
  t.is(policy.Version, '1');
  t.true(
    policy.Statement.every((s) => s.Effect === 'Allow'),
    'allows only: nothing to override elsewhere',
  );
  const all = policy.Statement.flatMap((s) => s.Action);
  t.is(
    new Set(all).size,
    all.length,
    'each action in one statement only, so no unconditioned grant widens a scoped one',
  );
  t.deepEqual([...all].sort(), AGENT_ACTIONS, 'the same actions as the plain policy');

  const scoped = policy.Statement.filter((s) => s.Condition && Object.keys(s.Condition).length > 0);
  t.is(scoped.length, 1);
  t.deepEqual([...scoped[0]!.Action].sort(), [...TAG_SCOPED].sort());
  t.deepEqual(scoped[0]!.Resource, ['acs:vpc:*:*:eip/*'], 'EIPs only (acs:vpc:{region}:{account}:eip/{AllocationId})');
  const condition = scoped[0]!.Condition!;
  t.deepEqual(Object.keys(condition), ['StringEquals']);
  // The tag key exactly as the agent writes it at allocation.
  t.deepEqual(Object.keys(condition['StringEquals']!), [`acs:ResourceTag/${TAG_CLUSTER_ID}`]);

  // The value is the example overlay's clusterID: the reader replaces both with theirs.
  const example = parseYaml(await readFile(repoPath('manifests/overlays/example/config.yaml'), 'utf8')) as {
    clusterID: string;
  };
  t.deepEqual(condition['StringEquals']![`acs:ResourceTag/${TAG_CLUSTER_ID}`], [example.clusterID]);

  const unscoped = policy.Statement.filter((s) => s !== scoped[0]);
  t.true(unscoped.every((s) => s.Resource.length === 1 && s.Resource[0] === '*'));
  t.false(
    unscoped.some((s) => s.Action.some((a) => TAG_SCOPED.includes(a))),
    'release and unbind are never granted without the condition',
  );
});
