import { randomBytes } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { CredentialStore } from './credentials.js';
import { SimConfigError } from './errors.js';
import { isoSeconds } from './ids.js';
import { cidrHosts, intToIp } from './ipv4.js';
import type { NetworkIndex } from './state/network.js';
import type { TopologyInstance } from './topology.js';

export interface MetadataOptions {
  /** HOST:PORT; default 127.0.0.1:0. */
  listen?: string;
  /** Default: the topology's first instance. */
  instanceId?: string;
  /** Refuse GETs that carry no IMDSv2 session token. */
  imdsv2Required?: boolean;
}

export interface MetadataDeps {
  network: NetworkIndex;
  credentials: CredentialStore;
  now: () => number;
  instanceId: string | undefined;
  imdsv2Required: boolean;
}

const TOKEN_HEADER = 'x-aliyun-ecs-metadata-token';
const TTL_HEADER = 'x-aliyun-ecs-metadata-token-ttl-seconds';
const ROLE_CREDENTIAL_TTL_MS = 6 * 3600_000;
/** Reissue role credentials once less than this is left, as the real service rotates them early. */
const ROLE_CREDENTIAL_ROTATE_MS = 30 * 60_000;

function netmask(bits: number): string {
  return intToIp(bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0);
}

/** The metadata tree of one instance: path (without /latest/meta-data/) -> text. */
function metadataTree(network: NetworkIndex, instance: TopologyInstance): Map<string, string> {
  const tree = new Map<string, string>();
  const primary = network.primaryInterfaceOf(instance.instanceId)!;
  const vpcOf = (vpcId: string) => network.topology.vpcs.find((v) => v.vpcId === vpcId)!;
  const vswOf = (id: string) => network.topology.vswitches.find((v) => v.vSwitchId === id)!;
  const put = (path: string, value: string): void => {
    tree.set(path, value);
  };
  put('instance-id', instance.instanceId);
  put('region-id', network.topology.regionId);
  put('zone-id', primary.zoneId);
  put('vpc-id', primary.vpcId);
  put('vpc-cidr-block', vpcOf(primary.vpcId).cidrBlock);
  put('vswitch-id', primary.vSwitchId);
  put('vswitch-cidr-block', vswOf(primary.vSwitchId).cidrBlock);
  put('instance/instance-type', instance.instanceType);
  put('hostname', instance.hostname ?? instance.instanceId);
  put('private-ipv4', primary.primaryIp);
  put('mac', primary.eni.macAddress);
  put('owner-account-id', network.topology.accountId);
  for (const eni of instance.networkInterfaces) {
    const view = network.networkInterface(eni.networkInterfaceId)!;
    const vsw = vswOf(view.vSwitchId);
    const base = `network/interfaces/macs/${eni.macAddress}`;
    put(`${base}/network-interface-id`, eni.networkInterfaceId);
    put(`${base}/primary-ip-address`, view.primaryIp);
    put(`${base}/private-ipv4s`, JSON.stringify(eni.privateIpAddresses));
    put(`${base}/gateway`, intToIp(cidrHosts(vsw.cidrBlock).last - 1));
    put(`${base}/netmask`, netmask(Number(vsw.cidrBlock.split('/')[1])));
    put(`${base}/vswitch-id`, view.vSwitchId);
    put(`${base}/vswitch-cidr-block`, vsw.cidrBlock);
    put(`${base}/vpc-id`, view.vpcId);
    put(`${base}/vpc-cidr-block`, vpcOf(view.vpcId).cidrBlock);
  }
  if (instance.ramRole !== null) put('ram/security-credentials', instance.ramRole);
  return tree;
}

/** Directory listing: direct children of `dir`, sub-directories with a trailing "/". */
function listing(tree: Map<string, string>, dir: string): string | undefined {
  const prefix = dir === '' ? '' : `${dir}/`;
  const children = new Set<string>();
  for (const path of tree.keys()) {
    if (!path.startsWith(prefix) || path === dir) continue;
    const rest = path.slice(prefix.length);
    const slash = rest.indexOf('/');
    children.add(slash === -1 ? rest : `${rest.slice(0, slash)}/`);
  }
  return children.size === 0 ? undefined : [...children].sort().join('\n');
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * ECS instance metadata for one instance, at /latest/meta-data/..., with the IMDSv2 session
 * token flow (PUT /latest/api/token) and RAM role credentials whose keys the OpenAPI accepts.
 */
export function createMetadataServer(deps: MetadataDeps): Server {
  const instance =
    deps.instanceId === undefined ? deps.network.topology.instances[0] : deps.network.instance(deps.instanceId);
  if (!instance) {
    throw new SimConfigError(
      deps.instanceId === undefined
        ? 'metadata: the topology has no instances to serve'
        : `metadata instance "${deps.instanceId}" is not in the topology (instances[].instanceId)`,
    );
  }
  const tree = metadataTree(deps.network, instance);
  const tokens = new Map<string, number>();
  let roleCredential: ReturnType<CredentialStore['issueTemporary']> | undefined;

  const roleCredentials = (): string => {
    if (!roleCredential || roleCredential.expiresAt - deps.now() < ROLE_CREDENTIAL_ROTATE_MS) {
      roleCredential = deps.credentials.issueTemporary('ram-role', ROLE_CREDENTIAL_TTL_MS);
    }
    return JSON.stringify({
      AccessKeyId: roleCredential.accessKeyId,
      AccessKeySecret: roleCredential.accessKeySecret,
      SecurityToken: roleCredential.securityToken,
      Expiration: isoSeconds(roleCredential.expiresAt),
      LastUpdated: isoSeconds(roleCredential.expiresAt - ROLE_CREDENTIAL_TTL_MS),
      Code: 'Success',
    });
  };

  return createServer((req, res) => {
    req.resume();
    const path = new URL(req.url ?? '/', 'http://metadata').pathname;
    if (path === '/latest/api/token') {
      if (req.method !== 'PUT') return send(res, 405, 'Method Not Allowed');
      const ttl = Number(req.headers[TTL_HEADER]);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600)
        return send(res, 400, `Bad Request: ${TTL_HEADER} must be 1-21600`);
      const token = randomBytes(32).toString('base64url');
      tokens.set(token, deps.now() + ttl * 1000);
      return send(res, 200, token);
    }
    if (req.method !== 'GET') return send(res, 405, 'Method Not Allowed');
    const token = req.headers[TOKEN_HEADER];
    if (typeof token === 'string') {
      const expiry = tokens.get(token);
      if (expiry === undefined || expiry <= deps.now())
        return send(res, 401, 'Unauthorized: invalid or expired metadata token');
    } else if (deps.imdsv2Required) {
      return send(res, 401, 'Unauthorized: a metadata token is required (IMDSv2)');
    }
    const prefix = '/latest/meta-data/';
    if (!path.startsWith(prefix) && path !== '/latest/meta-data') return send(res, 404, 'Not Found');
    const key = path.slice(prefix.length).replace(/\/+$/, '');
    if (instance.ramRole !== null && key === `ram/security-credentials/${instance.ramRole}`) {
      return send(res, 200, roleCredentials(), 'application/json');
    }
    const value = tree.get(key) ?? listing(tree, key);
    return value === undefined ? send(res, 404, 'Not Found') : send(res, 200, value);
  });
}
