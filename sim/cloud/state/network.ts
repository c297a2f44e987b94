import type { Topology, TopologyInstance, TopologyNetworkInterface } from '../topology.js';

export interface NetworkInterfaceView {
  eni: TopologyNetworkInterface;
  instance: TopologyInstance;
  vSwitchId: string;
  vpcId: string;
  zoneId: string;
  primaryIp: string;
  deviceIndex: number;
}

/** Read-only index over the topology's VPCs, vSwitches, instances and ENIs. */
export class NetworkIndex {
  private readonly enis = new Map<string, NetworkInterfaceView>();
  private readonly enisByIp = new Map<string, NetworkInterfaceView>();
  private readonly instances = new Map<string, TopologyInstance>();

  constructor(readonly topology: Topology) {
    const vswitches = new Map(topology.vswitches.map((v) => [v.vSwitchId, v]));
    for (const instance of topology.instances) {
      this.instances.set(instance.instanceId, instance);
      instance.networkInterfaces.forEach((eni, deviceIndex) => {
        const vSwitchId = eni.vSwitchId ?? instance.vSwitchId;
        const vsw = vswitches.get(vSwitchId)!;
        const view: NetworkInterfaceView = {
          eni,
          instance,
          vSwitchId,
          vpcId: vsw.vpcId,
          zoneId: instance.zoneId ?? vsw.zoneId,
          primaryIp: eni.privateIpAddresses[0]!,
          deviceIndex,
        };
        this.enis.set(eni.networkInterfaceId, view);
        for (const ip of eni.privateIpAddresses) this.enisByIp.set(ip, view);
      });
    }
  }

  networkInterface(id: string): NetworkInterfaceView | undefined {
    return this.enis.get(id);
  }

  networkInterfaceHolding(ip: string): NetworkInterfaceView | undefined {
    return this.enisByIp.get(ip);
  }

  allNetworkInterfaces(): NetworkInterfaceView[] {
    return [...this.enis.values()];
  }

  instance(id: string): TopologyInstance | undefined {
    return this.instances.get(id);
  }

  primaryInterfaceOf(instanceId: string): NetworkInterfaceView | undefined {
    const instance = this.instances.get(instanceId);
    const primary = instance?.networkInterfaces.find((e) => e.type === 'Primary');
    return primary && this.enis.get(primary.networkInterfaceId);
  }
}
