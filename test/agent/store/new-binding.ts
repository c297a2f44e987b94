/** A journal row for tests: one auto, Follow pod with everything a row needs; `over` changes fields. */
import type { NewBinding } from '../../../agent/src/store/journal.js';

export function newBinding(over: Partial<NewBinding> = {}): NewBinding {
  return {
    namespace: 'default',
    podName: 'web-0',
    podUid: 'uid-1',
    containerId: 'c1',
    ifname: 'eth0',
    mode: 'auto',
    releaseStrategy: 'Follow',
    releaseAfter: '',
    generation: 1,
    clientToken: 'tok-1',
    allocateParams: '{}',
    privateIp: '10.0.0.5',
    ...over,
  };
}
