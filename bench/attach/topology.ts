/** One large node for the bench: `enis` ENIs of 50 private IPs each in 10.1.0.0/16. */
export function benchTopology(enis: number): Record<string, unknown> {
  return {
    vpcs: [{ vpcId: 'vpc-bench', cidrBlock: '10.0.0.0/8' }],
    vswitches: [{ vSwitchId: 'vsw-bench', vpcId: 'vpc-bench', zoneId: 'cn-hangzhou-h', cidrBlock: '10.1.0.0/16' }],
    instances: [
      {
        instanceId: 'i-bench0001',
        vSwitchId: 'vsw-bench',
        networkInterfaces: Array.from({ length: enis }, (_, k) => ({
          networkInterfaceId: `eni-bench${k}`,
          type: k === 0 ? 'Primary' : 'Secondary',
          macAddress: `00:16:3e:00:10:${k.toString(16).padStart(2, '0')}`,
          privateIpAddresses: Array.from({ length: 50 }, (_, j) => `10.1.${k}.${j + 10}`),
        })),
      },
    ],
  };
}
