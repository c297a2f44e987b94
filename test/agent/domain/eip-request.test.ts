import test from 'ava';
import { requestsEip } from '../../../lib/annotations.js';
import { parseEipRequest } from '../../../agent/src/domain/eip-request.js';
import { InvalidAnnotationError } from '../../../agent/src/domain/errors.js';

test('the plugin\'s fast path and the agent agree: only "false" or no annotation skip the agent', (t) => {
  t.false(requestsEip({}));
  t.false(requestsEip({ 'k8s.aliyun.com/pod-with-eip': 'false' }));
  t.false(requestsEip({ 'network.alibabacloud.com/pod-with-eip': ' False ' }));
  t.false(requestsEip({ 'k8s.aliyun.com/pod-eip-instanceid': '' }));
  t.true(requestsEip({ 'k8s.aliyun.com/pod-with-eip': 'TRUE' }));
  t.true(requestsEip({ 'k8s.aliyun.com/eci-with-eip': 'true' }));
  t.true(requestsEip({ 'k8s.aliyun.com/eci-eip-instanceid': 'eip-1' }));
});

test('a misspelt flag reaches the agent and fails with the annotation named, instead of a pod without its EIP', (t) => {
  const annotations = { 'k8s.aliyun.com/pod-with-eip': 'yes' };
  t.true(requestsEip(annotations));
  const error = t.throws(() => parseEipRequest(annotations));
  t.true(error instanceof InvalidAnnotationError);
  t.regex(error.message, /k8s\.aliyun\.com\/pod-with-eip="yes": must be "true" or "false"/);
});
