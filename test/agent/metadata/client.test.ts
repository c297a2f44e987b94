import test, { type ExecutionContext } from 'ava';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MetadataClient, MetadataError } from '../../../agent/src/metadata/client.js';

const FAST = { baseMs: 10, maxMs: 20, deadlineMs: 5000 };

/** A metadata service that answers each request with the next of `answers` (then the last one). */
async function metadataService(
  t: ExecutionContext,
  answers: Array<(res: ServerResponse) => void>,
): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    const answer = answers[Math.min(requests.length - 1, answers.length - 1)]!;
    answer(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const status =
  (code: number, body = '') =>
  (res: ServerResponse) =>
    res.writeHead(code).end(body);

test('a 5xx from the metadata service is tried again until it answers', async (t) => {
  const service = await metadataService(t, [status(503), status(500), status(404), status(200, 'i-abc\n')]);
  t.is(await new MetadataClient(service.url, FAST).instanceId(), 'i-abc');
  t.deepEqual(service.requests, [
    'PUT /latest/api/token',
    'PUT /latest/api/token',
    'PUT /latest/api/token',
    'GET /latest/meta-data/instance-id',
  ]);
});

test('a 4xx is an answer, not tried again, and names the path', async (t) => {
  const service = await metadataService(t, [status(404), status(403)]);
  const err = await t.throwsAsync(new MetadataClient(service.url, FAST).instanceId(), { instanceOf: MetadataError });
  t.false(err.transient);
  t.regex(err.message, /metadata instance-id: HTTP 403/);
  t.is(service.requests.length, 2);
});

test('a service that never answers fails once the policy deadline has passed, naming the endpoint', async (t) => {
  const started = Date.now();
  const err = await t.throwsAsync(
    new MetadataClient('http://127.0.0.1:1', { baseMs: 10, maxMs: 20, deadlineMs: 300 }).instanceId(),
    { instanceOf: MetadataError },
  );
  t.true(err.transient);
  t.regex(
    err.message,
    /cannot reach the instance metadata service at http:\/\/127\.0\.0\.1:1 \(cloud\.metadataEndpoint\)/,
  );
  t.true(Date.now() - started >= 300, 'it kept trying until the deadline');
});
