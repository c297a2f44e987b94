/**
 * The agent's config file. Top-level keys are the parameter names of ack-extend-network-controller's
 * chart (the product doc's parameter table), so users' existing values carry over; `agent` and
 * `cloud` are podeip's own. Every object is strict: an unknown key is an error naming it.
 */
import { z } from 'zod';

const hostPort = z.string().regex(/^[^\s:]*:\d{1,5}$/, 'expected HOST:PORT, e.g. "0.0.0.0:9464"');
const endpoint = z.string().regex(/^$|^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'expected a host or HOST:PORT without a scheme, e.g. "vpc-vpc.cn-hangzhou.aliyuncs.com"');
const absolutePath = z.string().regex(/^\//, 'expected an absolute path');

const eipController = z.object({
  maxConcurrentReconciles: z.number().int().min(1).max(64).default(4),
  /** Whole minutes in the chart; fractions are accepted (tests sweep every few seconds). */
  garbageCollectionPeriodInMinutes: z.number().gt(0).max(1440).default(1),
}).strict();

const networkController = z.object({
  vpcid: z.string().min(1).optional(),
  eipController: eipController.default({ maxConcurrentReconciles: 4, garbageCollectionPeriodInMinutes: 1 }),
}).strict();

const credential = z.object({
  accessKey: z.string().default(''),
  accessSecret: z.string().default(''),
}).strict();

const agent = z.object({
  socketPath: absolutePath.default('/var/run/podeip/agent.sock'),
  stateDir: absolutePath.default('/var/lib/podeip'),
  metricsListen: hostPort.default('0.0.0.0:9464'),
  attachTimeoutSeconds: z.number().int().min(5).max(600).default(100),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** Namespace of the GC leader Lease. */
  leaseNamespace: z.string().min(1).default('kube-system'),
  /** How long a tagged EIP that nothing owns is left alone before the sweep releases it. */
  orphanGracePeriodMinutes: z.number().gt(0).max(10080).default(30),
  /** The GC Lease: how long a dead leader blocks the next one. */
  leaseDurationSeconds: z.number().int().min(3).max(300).default(15),
}).strict();

const cloud = z.object({
  vpcEndpoint: endpoint.default(''),
  ecsEndpoint: endpoint.default(''),
  protocol: z.enum(['http', 'https']).default('https'),
  metadataEndpoint: z.string().url().default('http://100.100.100.200'),
  stsEndpoint: endpoint.default(''),
  /** This node's share of the account-wide OpenAPI budgets (0 < share <= 1); the cloud client's default when unset. */
  rateLimitShare: z.number().gt(0).max(1).optional(),
  /** The fraction of each account budget the coordinated fleet never plans to use (other users of the account). */
  accountReserve: z.number().min(0).lt(1).default(0.05),
  /** How often a busy node publishes its demand and reads the fleet's budget plan; 0 turns coordination off. */
  budgetCoordinationSeconds: z.number().min(0).max(300).default(5),
}).strict();

export const configSchema = z.object({
  clusterID: z.string().min(1, 'set the ACK cluster id, e.g. "c11ba338192xxxxxxx"'),
  regionID: z.string().regex(/^[a-z]{2}(-[a-z0-9]+)+$/, 'expected a region id such as "cn-hangzhou"'),
  vpcID: z.string().min(1).optional(),
  enableControllers: z.array(z.string()).default(['eip']).refine(
    (list) => list.includes('eip'),
    'must include "eip": podeip-agent runs only the EIP controller',
  ),
  networkController: networkController.default({ eipController: { maxConcurrentReconciles: 4, garbageCollectionPeriodInMinutes: 1 } }),
  customStatefulWorkloadKinds: z.array(z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'expected a Kind such as "CloneSet"')).default([]),
  enableVirtualNode: z.literal(false, { error: 'podeip binds EIPs on ECS nodes only; ECI virtual nodes get EIPs from ECI itself: set enableVirtualNode to false' }).default(false),
  enableRRSA: z.boolean().default(false),
  rrsaRoleName: z.string().default(''),
  credential: credential.default({ accessKey: '', accessSecret: '' }),
  kubeClientQPS: z.number().gt(0).max(10000).default(20),
  kubeClientBurst: z.number().int().min(1).max(10000).default(40),
  allowEipRob: z.boolean().default(false),
  agent: agent.default(agent.parse({})),
  cloud: cloud.default(cloud.parse({})),
}).strict();

export type RawConfig = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
