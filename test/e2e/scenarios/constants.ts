/** How many pods each timing median is taken over. */
export const TIMED_PODS = 5;
export const POD_SUBNET_PREFIX = '10.244.77.';
