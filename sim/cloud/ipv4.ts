export function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export const CIDR =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/([0-9]|[12]\d|3[0-2])$/;

/** First and last usable host of a CIDR block (network and broadcast excluded when the block has them). */
export function cidrHosts(cidr: string): { first: number; last: number } {
  const [base, bits] = cidr.split('/') as [string, string];
  const size = 2 ** (32 - Number(bits));
  const network = ipToInt(base) - (ipToInt(base) % size);
  return size <= 2 ? { first: network, last: network + size - 1 } : { first: network + 1, last: network + size - 2 };
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split('/') as [string, string];
  const size = 2 ** (32 - Number(bits));
  const network = ipToInt(base) - (ipToInt(base) % size);
  const n = ipToInt(ip);
  return n >= network && n < network + size;
}
