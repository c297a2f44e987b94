/**
 * A lone elector in its own process, so a test can kill -9 it: argv is KUBECONFIG IDENTITY
 * LEASE_SECONDS RENEW_DEADLINE_SECONDS RETRY_SECONDS. Prints "leading" once it leads.
 */
import { Registry } from 'prom-client';
import { createKubeGateway } from '../../../agent/src/kube/gateway.js';
import { silentLogger } from '../../../agent/src/log/logger.js';

const [kubeconfig, identity, lease, deadline, retry] = process.argv.slice(2);
const gateway = createKubeGateway(
  { nodeName: identity!, kubeconfig },
  { logger: silentLogger, registry: new Registry(), env: {} },
);
const elector = gateway.createLeaderElector({
  name: 'podeip-gc',
  leaseDurationSeconds: Number(lease),
  renewDeadlineSeconds: Number(deadline),
  retryPeriodSeconds: Number(retry),
});
elector.run({
  onStartedLeading: () => {
    process.stdout.write('leading\n');
  },
  onStoppedLeading: () => {
    process.stdout.write('stopped\n');
  },
});
