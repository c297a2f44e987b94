import test from 'ava';
import { EniCache } from '../../../agent/src/cloud/eni-cache.js';
import type { NetworkInterface } from '../../../agent/src/cloud/types.js';

function eni(id: string, type: 'Primary' | 'Secondary', primary: string, secondaries: string[]): NetworkInterface {
  return {
    networkInterfaceId: id,
    instanceId: 'i-1',
    type,
    primaryIpAddress: primary,
    privateIpAddresses: [primary, ...secondaries],
  };
}

test('finds primary and secondary IPs from one listing, refreshes on a miss, shares concurrent refreshes', async (t) => {
  let enis = [eni('eni-p', 'Primary', '10.0.0.1', ['10.0.0.2']), eni('eni-x', 'Secondary', '10.0.0.10', [])];
  let listings = 0;
  const cache = new EniCache(async () => {
    listings++;
    await new Promise((r) => setTimeout(r, 5));
    return enis;
  });
  t.is((await cache.find('i-1', '10.0.0.2'))?.networkInterfaceId, 'eni-p');
  t.is((await cache.find('i-1', '10.0.0.1'))?.networkInterfaceId, 'eni-p');
  t.is(
    (await cache.find('i-1', '10.0.0.10'))?.networkInterfaceId,
    'eni-x',
    'an exclusive ENI is found by its primary IP',
  );
  t.is(listings, 1, 'hits are served from the cache');
  enis = [...enis, eni('eni-y', 'Secondary', '10.0.0.20', ['10.0.0.21'])];
  const [a, b] = await Promise.all([cache.find('i-1', '10.0.0.21'), cache.find('i-1', '10.0.0.20')]);
  t.is(a?.networkInterfaceId, 'eni-y');
  t.is(b?.networkInterfaceId, 'eni-y');
  t.is(listings, 2, 'two concurrent misses share one refresh');
  t.is(await cache.find('i-1', '10.9.9.9'), undefined);
  t.is(listings, 3);
  t.is(cache.byId('eni-x')?.primaryIpAddress, '10.0.0.10');
});

test('a failed refresh rejects its callers and the next miss tries again', async (t) => {
  let fail = true;
  const cache = new EniCache(async () => {
    if (fail) throw new Error('describe failed');
    return [eni('eni-p', 'Primary', '10.0.0.1', [])];
  });
  await t.throwsAsync(cache.find('i-1', '10.0.0.1'), { message: 'describe failed' });
  fail = false;
  t.is((await cache.find('i-1', '10.0.0.1'))?.networkInterfaceId, 'eni-p');
});
