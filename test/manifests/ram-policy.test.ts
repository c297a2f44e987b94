/** manifests/ram-policy.json grants exactly the OpenAPI actions the agent's cloud client can call. */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { CLOUD_ACTIONS } from '../../agent/src/cloud/budgets.js';
import { repoPath } from './repo.js';

interface Statement { Effect: string; Action: string[]; Resource: string[]; Condition?: object }

/** The RAM product prefix of each action the agent calls: all VPC, except the ECS ENI lookup. */
const productOf = (action: string) => (action === 'DescribeNetworkInterfaces' ? 'ecs' : 'vpc');

test('the RAM policy is a full policy document allowing exactly the actions the agent calls', async (t) => {
  const policy = JSON.parse(await readFile(repoPath('manifests/ram-policy.json'), 'utf8')) as { Version: string; Statement: Statement[] };
  t.is(policy.Version, '1');
  t.is(policy.Statement.length, 1);
  const [statement] = policy.Statement;
  t.is(statement!.Effect, 'Allow');
  t.deepEqual(statement!.Resource, ['*']);
  t.is(new Set(statement!.Action).size, statement!.Action.length, 'no action listed twice');
  t.deepEqual([...statement!.Action].sort(), CLOUD_ACTIONS.map((a) => `${productOf(a)}:${a}`).sort());
});
