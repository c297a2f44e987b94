/**
 * The agent's config file. Top-level keys are the parameter names of ack-extend-network-controller's
 * chart (the product doc's parameter table), so users' existing values carry over; `agent` and
 * `cloud` are podeip's own. Every object is strict: an unknown key is an error naming it.
 */
import { z } from 'zod';
import { STATIC_EIP_POLICIES } from '../domain/grants.js';
import { retrySchema } from './retry-schema.js';

const hostPort = z.string().regex(/^[^\s:]*:\d{1,5}$/, 'expected HOST:PORT, e.g. "0.0.0.0:9464"');
const endpoint = z
  .string()
  .regex(
    /^$|^[A-Za-z0-9.-]+(:\d{1,5})?$/,
    'expected a host or HOST:PORT without a scheme, e.g. "vpc-vpc.cn-hangzhou.aliyuncs.com"',
  );
const absolutePath = z.string().regex(/^\//, 'expected an absolute path');

const eipController = z
  .object({
    maxConcurrentReconciles: z.number().int().min(1).max(64).default(4),
    /** Whole minutes in the chart; fractions are accepted (tests sweep every few seconds). */
    garbageCollectionPeriodInMinutes: z.number().gt(0).max(1440).default(1),
  })
  .strict();

const networkController = z
  .object({
    vpcid: z.string().min(1).optional(),
    eipController: eipController.default({ maxConcurrentReconciles: 4, garbageCollectionPeriodInMinutes: 1 }),
  })
  .strict();

const credential = z
  .object({
    accessKey: z.string().default(''),
    accessSecret: z.string().default(''),
  })
  .strict();

const agent = z
  .object({
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
  })
  .strict();

const cloud = z
  .object({
    vpcEndpoint: endpoint.default(''),
    ecsEndpoint: endpoint.default(''),
    protocol: z.enum(['http', 'https']).default('https'),
    metadataEndpoint: z.url().default('http://100.100.100.200'),
    stsEndpoint: endpoint.default(''),
    /** This node's share of the account-wide OpenAPI budgets (0 < share <= 1); the cloud client's default when unset. */
    rateLimitShare: z.number().gt(0).max(1).optional(),
    /**
     * The account's EIP quota in this region (eip_quota_instances_num). No API in the agent's RAM
     * policy reads it (docs/configuration.md), so it is configured; raise it with the quota.
     */
    eipQuota: z.number().int().min(1).max(100000).default(20),
    /** The fraction of each account budget the coordinated fleet never plans to use (other users of the account). */
    accountReserve: z.number().min(0).lt(1).default(0.05),
    /** How often a busy node publishes its demand and reads the fleet's budget plan; 0 (the default) turns coordination off. */
    budgetCoordinationSeconds: z.number().min(0).max(300).default(0),
  })
  .strict();

/** The EIP profile pool EIPs are allocated with: the defaults of an auto EIP unless set. */
const poolProfile = z
  .object({
    bandwidth: z
      .string()
      .regex(/^[1-9]\d*$/, 'expected Mbps as a positive integer string, e.g. "5"')
      .optional(),
    internetChargeType: z.enum(['PayByTraffic', 'PayByBandwidth']).default('PayByTraffic'),
    isp: z.string().min(1).optional(),
    bandwidthPackageId: z
      .string()
      .regex(/^cbwp-/, 'expected an Internet Shared Bandwidth id, e.g. "cbwp-bp1..."')
      .optional(),
  })
  .strict();

const warmPool = z
  .object({
    enabled: z.boolean().default(false),
    /** Idle EIPs each node refills to. */
    minIdle: z.number().int().min(0).max(1000).default(2),
    /** Idle EIPs each node keeps, recycled ones included; more are released. */
    maxIdle: z.number().int().min(0).max(1000).default(5),
    /** Pool EIPs (idle) in the whole cluster; a node does not refill past it. */
    maxTotal: z.number().int().min(0).max(100000).default(50),
    /** EIPs of the quota the pool never takes: pods allocating fresh EIPs keep them. */
    quotaReserve: z.number().int().min(0).max(100000).default(2),
    /** A Follow EIP whose pod is gone goes back to the pool (under maxIdle) instead of being released. */
    recycle: z.boolean().default(true),
    profile: poolProfile.default(poolProfile.parse({})),
  })
  .strict()
  .refine((p) => p.minIdle <= p.maxIdle, { error: 'minIdle must not exceed maxIdle', path: ['minIdle'] });

export const configSchema = z
  .object({
    clusterID: z.string().min(1, 'set the ACK cluster id, e.g. "c11ba338192xxxxxxx"'),
    regionID: z.string().regex(/^[a-z]{2}(-[a-z0-9]+)+$/, 'expected a region id such as "cn-hangzhou"'),
    vpcID: z.string().min(1).optional(),
    enableControllers: z
      .array(z.string())
      .default(['eip'])
      .refine((list) => list.includes('eip'), 'must include "eip": podeip-agent runs only the EIP controller'),
    networkController: networkController.default({
      eipController: { maxConcurrentReconciles: 4, garbageCollectionPeriodInMinutes: 1 },
    }),
    customStatefulWorkloadKinds: z
      .array(z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'expected a Kind such as "CloneSet"'))
      .default([]),
    enableVirtualNode: z
      .literal(false, {
        error:
          'podeip binds EIPs on ECS nodes only; ECI virtual nodes get EIPs from ECI itself: set enableVirtualNode to false',
      })
      .default(false),
    enableRRSA: z.boolean().default(false),
    rrsaRoleName: z.string().default(''),
    credential: credential.default({ accessKey: '', accessSecret: '' }),
    kubeClientQPS: z.number().gt(0).max(10000).default(20),
    kubeClientBurst: z.number().int().min(1).max(10000).default(40),
    allowEipRob: z.boolean().default(false),
    /** Who may use an EIP podeip did not allocate: only namespaces it is granted to, or any pod (ACK/Terway behaviour). */
    staticEipPolicy: z.enum(STATIC_EIP_POLICIES).default('Granted'),
    agent: agent.default(agent.parse({})),
    cloud: cloud.default(cloud.parse({})),
    warmPool: warmPool.default(warmPool.parse({})),
    /** Retry, backoff and deadline bounds by policy (retry/policies.ts); today's values when unset. */
    retry: retrySchema.default(retrySchema.parse({})),
  })
  .strict();

export type RawConfig = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
