import test from 'ava';
import {
  CloudError,
  CredentialSourceError,
  classifyCloudCode,
  classifyError,
} from '../../../agent/src/cloud/errors.js';
import { PodeipError } from '../../../lib/errors.js';

function sdkError(name: string, code: string, statusCode: number, extra: Record<string, unknown> = {}) {
  return Object.assign(new Error(`${code}: code: ${statusCode}, msg request id: RID-1`), {
    name,
    code,
    statusCode,
    requestId: 'RID-1',
    data: { Code: code, Message: 'The specified thing.', RequestId: 'RID-1' },
    ...extra,
  });
}

const table: [string, number, string, boolean][] = [
  ['Throttling.User', 400, 'CloudThrottled', true],
  ['Throttling', 400, 'CloudThrottled', true],
  ['Throttling.Api', 400, 'CloudThrottled', true],
  ['ServiceUnavailable', 503, 'CloudUnavailable', true],
  ['InternalError', 500, 'CloudUnavailable', true],
  ['WhateverBroke', 502, 'CloudUnavailable', true],
  ['TaskConflict', 400, 'CloudBusy', true],
  ['OperationConflict', 400, 'CloudBusy', true],
  ['LastTokenProcessing', 400, 'CloudBusy', true],
  ['SystemBusy', 400, 'CloudBusy', true],
  ['IncorrectEipStatus', 400, 'CloudRejected', false],
  ['QuotaExceeded.Eip', 400, 'EipQuotaExceeded', false],
  ['Forbidden.RAM', 403, 'CloudPermissionDenied', false],
  ['NoPermission', 403, 'CloudPermissionDenied', false],
  ['InvalidAccessKeyId.NotFound', 404, 'CloudAuthFailed', false],
  ['SignatureDoesNotMatch', 400, 'CloudAuthFailed', false],
  ['InvalidAllocationId.NotFound', 404, 'CloudNotFound', false],
  ['InvalidParameter', 400, 'CloudRejected', false],
  ['MissingParameter', 400, 'CloudRejected', false],
  ['IdempotentParameterMismatch', 400, 'CloudRejected', false],
  ['TaskConflict.AssociateGlobalAccelerationInstance', 400, 'CloudRejected', false],
];

for (const [cloudCode, status, code, retryable] of table) {
  test(`classifies ${cloudCode} (${status}) as ${code}, ${retryable ? 'retryable' : 'permanent'}`, (t) => {
    t.deepEqual(classifyCloudCode(cloudCode, status), { code, retryable });
  });
}

test('IncorrectEipStatus is retryable only while the EIP transitions', (t) => {
  t.deepEqual(classifyCloudCode('IncorrectEipStatus', 400, { eipTransitioning: true }), {
    code: 'CloudBusy',
    retryable: true,
  });
});

test('an SDK error becomes a CloudError carrying action, cloud code, status, RequestId and retry-after', (t) => {
  const e = classifyError(
    'AllocateEipAddress',
    sdkError('ThrottlingError', 'Throttling.User', 400, { retryAfter: 1500 }),
  );
  t.true(e instanceof CloudError);
  t.true(e instanceof PodeipError);
  t.is(e.code, 'CloudThrottled');
  t.is(e.action, 'AllocateEipAddress');
  t.is(e.cloudCode, 'Throttling.User');
  t.is(e.httpStatus, 400);
  t.is(e.requestId, 'RID-1');
  t.is(e.retryAfterMs, 1500);
  t.true(e.retryable);
  t.is(e.message, 'AllocateEipAddress failed: Throttling.User (HTTP 400): The specified thing. [RequestId RID-1]');
  t.is(e.name, 'CloudError');
});

test('network failures and timeouts are retryable CloudUnavailable, and their URLs lose the query string', (t) => {
  const reset = classifyError(
    'AssociateEipAddress',
    Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
  );
  t.is(reset.code, 'CloudUnavailable');
  t.is(reset.cloudCode, 'ECONNRESET');
  t.true(reset.retryable);
  const timeout = Object.assign(
    new Error('ReadTimeout: 3000. POST /?AccessKeyId=AK&SecurityToken=SECRET-TOKEN&Signature=x failed.'),
    { name: 'RequestTimeoutError' },
  );
  const e = classifyError('DescribeEipAddresses', timeout);
  t.is(e.code, 'CloudUnavailable');
  t.is(e.cloudCode, 'RequestTimeout');
  t.false(e.message.includes('SECRET-TOKEN'));
  t.false(e.message.includes('AccessKeyId=AK'));
  const refused = classifyError(
    'DescribeEipAddresses',
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
  );
  t.true(refused.retryable);
});

test('an unparsable answer (HTML 502) is retryable', (t) => {
  const e = classifyError('DescribeEipAddresses', new SyntaxError('Unexpected token < in JSON at position 0'));
  t.is(e.code, 'CloudUnavailable');
  t.true(e.retryable);
});

test('credential source failures are CloudCredentialsUnavailable and redacted', (t) => {
  const e = classifyError(
    'AllocateEipAddress',
    new CredentialSourceError('ecs_ram_role', 'token s3cr3t-value refused'),
    {
      redact: (s) => s.replace('s3cr3t-value', '<redacted>'),
    },
  );
  t.is(e.code, 'CloudCredentialsUnavailable');
  t.true(e.retryable);
  t.false(e.message.includes('s3cr3t-value'));
});

test('an unknown thrown value is permanent CloudRejected, and a CloudError passes through', (t) => {
  const e = classifyError('TagResources', new TypeError('boom'));
  t.is(e.code, 'CloudRejected');
  t.false(e.retryable);
  t.is(classifyError('X', e), e);
});
