/** How many pods each timing median is taken over. */
export const TIMED_PODS = 9;
