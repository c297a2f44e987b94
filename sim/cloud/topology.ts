import { z } from 'zod';
import { parseWith } from './config-file.js';
import { SimConfigError } from './errors.js';
import { CIDR, IPV4, cidrContains } from './ipv4.js';

const id = (prefix: string) =>
  z
    .string()
    .regex(
      new RegExp(`^${prefix}-[a-z0-9]+$`),
      `must look like "${prefix}-" followed by lower-case letters and digits`,
    );
const ipv4 = z.string().regex(IPV4, 'must be a dotted IPv4 address');
const cidr = z.string().regex(CIDR, 'must be an IPv4 CIDR block such as 10.0.0.0/24');

const networkInterfaceSchema = z
  .object({
    networkInterfaceId: id('eni'),
    type: z.enum(['Primary', 'Secondary']),
    macAddress: z
      .string()
      .regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/, 'must be a lower-case MAC such as 00:16:3e:00:01:00'),
    /** Defaults to the instance's vSwitch. */
    vSwitchId: id('vsw').optional(),
    /** The first address is the ENI's primary private IP. */
    privateIpAddresses: z.array(ipv4).min(1, 'an ENI holds at least its primary IP').max(50),
    securityGroupIds: z.array(id('sg')).default(['sg-bp1podeipsim0001']),
  })
  .strict();

const instanceSchema = z
  .object({
    instanceId: id('i'),
    instanceType: z.string().default('ecs.g7.large'),
    zoneId: z.string().optional(),
    vSwitchId: id('vsw'),
    hostname: z.string().optional(),
    /** RAM role whose credentials the metadata endpoint serves; null for none. */
    ramRole: z
      .string()
      .regex(/^[A-Za-z0-9.-]{1,64}$/, 'must be 1-64 letters, digits, dots or hyphens')
      .nullable()
      .default('podeip-sim-node-role'),
    networkInterfaces: z.array(networkInterfaceSchema).min(1),
  })
  .strict();

export const topologySchema = z
  .object({
    regionId: z
      .string()
      .regex(/^[a-z]+-[a-z0-9-]+$/, 'must be a region id such as cn-hangzhou')
      .default('cn-hangzhou'),
    accountId: z
      .string()
      .regex(/^\d{16}$/, 'must be 16 digits')
      .default('1380000000000001'),
    /** The first is the account's default resource group. */
    resourceGroupIds: z.array(id('rg')).min(1).default(['rg-acfmpodeipsim01']),
    /** Addresses AllocateEipAddress hands out, in order. */
    eipCidr: cidr.default('47.96.0.0/16'),
    publicIpAddressPools: z
      .array(
        z
          .object({
            publicIpAddressPoolId: id('pippool'),
            cidr,
            isp: z.string().default('BGP'),
            name: z.string().default(''),
          })
          .strict(),
      )
      .default([]),
    vpcs: z.array(z.object({ vpcId: id('vpc'), cidrBlock: cidr, name: z.string().default('') }).strict()).min(1),
    vswitches: z
      .array(
        z
          .object({
            vSwitchId: id('vsw'),
            vpcId: id('vpc'),
            zoneId: z.string(),
            cidrBlock: cidr,
            name: z.string().default(''),
          })
          .strict(),
      )
      .min(1),
    instances: z.array(instanceSchema),
    bandwidthPackages: z
      .array(
        z
          .object({
            bandwidthPackageId: id('cbwp'),
            isp: z.string().default('BGP'),
            bandwidth: z.number().int().min(1).default(1000),
            name: z.string().default(''),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

export type Topology = z.output<typeof topologySchema>;
export type TopologyInstance = Topology['instances'][number];
export type TopologyNetworkInterface = TopologyInstance['networkInterfaces'][number];

function defaultTopologyJson(): unknown {
  const instances = [1, 2, 3].map((n) => ({
    instanceId: `i-bp1podeipsim000${n}`,
    instanceType: 'ecs.g7.large',
    vSwitchId: 'vsw-bp1podeipsim0001',
    hostname: `podeip-sim-node-${n}`,
    networkInterfaces: [0, 1, 2].map((k) => {
      const base = 10 + (n - 1) * 30 + k * 10;
      return {
        networkInterfaceId: `eni-bp1podeipsim0${n}${k}`,
        type: k === 0 ? 'Primary' : 'Secondary',
        macAddress: `00:16:3e:00:0${n}:0${k}`,
        privateIpAddresses: Array.from({ length: 10 }, (_, j) => `192.168.0.${base + j + 1}`),
      };
    }),
  }));
  return {
    vpcs: [{ vpcId: 'vpc-bp1podeipsim0001', cidrBlock: '192.168.0.0/16', name: 'podeip-sim-vpc' }],
    vswitches: [
      {
        vSwitchId: 'vsw-bp1podeipsim0001',
        vpcId: 'vpc-bp1podeipsim0001',
        zoneId: 'cn-hangzhou-h',
        cidrBlock: '192.168.0.0/24',
        name: 'podeip-sim-vsw',
      },
    ],
    instances,
    publicIpAddressPools: [
      { publicIpAddressPoolId: 'pippool-bp1podeipsim01', cidr: '121.40.10.0/24', isp: 'BGP', name: 'podeip-sim-pool' },
    ],
    bandwidthPackages: [
      { bandwidthPackageId: 'cbwp-bp1podeipsim0001', isp: 'BGP', bandwidth: 1000, name: 'podeip-sim-bgp' },
      { bandwidthPackageId: 'cbwp-bp1podeipsim0002', isp: 'BGP_PRO', bandwidth: 200, name: 'podeip-sim-bgp-pro' },
    ],
  };
}

/** The topology used when no --topology file is given; identical on every start. */
export function defaultTopology(): Topology {
  return parseTopology(defaultTopologyJson(), 'the default topology');
}

/** Validates a topology document, including the references between its parts. */
export function parseTopology(value: unknown, source: string): Topology {
  const topology = parseWith(topologySchema, value, source);
  const fail = (field: string, why: string): never => {
    throw new SimConfigError(`${source} is invalid:\n  ${field}: ${why}`);
  };
  const vpcs = new Map(topology.vpcs.map((v) => [v.vpcId, v]));
  const vswitches = new Map(topology.vswitches.map((v) => [v.vSwitchId, v]));
  const ids = new Set<string>();
  const unique = (value: string, field: string): void => {
    if (ids.has(value)) fail(field, `"${value}" is used twice`);
    ids.add(value);
  };
  topology.vpcs.forEach((v, i) => unique(v.vpcId, `vpcs[${i}].vpcId`));
  topology.vswitches.forEach((v, i) => {
    unique(v.vSwitchId, `vswitches[${i}].vSwitchId`);
    const vpc = vpcs.get(v.vpcId);
    if (!vpc) return fail(`vswitches[${i}].vpcId`, `no VPC "${v.vpcId}" in vpcs`);
    if (!cidrContains(vpc.cidrBlock, v.cidrBlock.split('/')[0]!))
      fail(`vswitches[${i}].cidrBlock`, `${v.cidrBlock} is outside VPC ${vpc.vpcId} (${vpc.cidrBlock})`);
  });
  const ips = new Set<string>();
  topology.instances.forEach((instance, i) => {
    unique(instance.instanceId, `instances[${i}].instanceId`);
    if (!vswitches.has(instance.vSwitchId))
      fail(`instances[${i}].vSwitchId`, `no vSwitch "${instance.vSwitchId}" in vswitches`);
    const primaries = instance.networkInterfaces.filter((e) => e.type === 'Primary').length;
    if (primaries !== 1)
      fail(`instances[${i}].networkInterfaces`, `needs exactly one ENI of type Primary, has ${primaries}`);
    instance.networkInterfaces.forEach((eni, k) => {
      const field = `instances[${i}].networkInterfaces[${k}]`;
      unique(eni.networkInterfaceId, `${field}.networkInterfaceId`);
      unique(eni.macAddress, `${field}.macAddress`);
      const vsw = vswitches.get(eni.vSwitchId ?? instance.vSwitchId);
      if (!vsw) return fail(`${field}.vSwitchId`, `no vSwitch "${eni.vSwitchId}" in vswitches`);
      eni.privateIpAddresses.forEach((ip, j) => {
        if (ips.has(ip)) fail(`${field}.privateIpAddresses[${j}]`, `${ip} is held by another ENI`);
        ips.add(ip);
        if (!cidrContains(vsw.cidrBlock, ip))
          fail(`${field}.privateIpAddresses[${j}]`, `${ip} is outside vSwitch ${vsw.vSwitchId} (${vsw.cidrBlock})`);
      });
    });
  });
  topology.publicIpAddressPools.forEach((p, i) =>
    unique(p.publicIpAddressPoolId, `publicIpAddressPools[${i}].publicIpAddressPoolId`),
  );
  topology.bandwidthPackages.forEach((p, i) =>
    unique(p.bandwidthPackageId, `bandwidthPackages[${i}].bandwidthPackageId`),
  );
  return topology;
}
