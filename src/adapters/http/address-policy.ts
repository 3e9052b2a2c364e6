import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';

/**
 * Loopback, private, link-local, carrier-grade NAT, multicast, reserved and cloud metadata
 * addresses (IPv4, IPv6 and IPv4-mapped IPv6): where a user-supplied URL must not reach.
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['2001:db8::', 32],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** True when connecting to this IP address is refused by the private-network policy. */
export function isDeniedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped?.[1]) return blocked.check(mapped[1], 'ipv4');
    return blocked.check(address, 'ipv6');
  }
  return false;
}

export class AddressDeniedError extends Error {
  readonly code = 'ADDRESS_DENIED';
  constructor(readonly host: string, readonly address: string) {
    super(`address ${address} of ${host} is not allowed (CALL_DENY_PRIVATE_NETWORKS)`);
    this.name = 'AddressDeniedError';
  }
}

/** A bare host name (brackets of IPv6 literals removed). */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** Refuses a literal IP host before any connection (net skips `lookup` for literals). */
export function checkLiteralHost(hostname: string): void {
  const host = bareHost(hostname);
  if (isIP(host) !== 0 && isDeniedAddress(host)) throw new AddressDeniedError(host, host);
  if (host.toLowerCase() === 'localhost' || host.toLowerCase().endsWith('.localhost')) throw new AddressDeniedError(host, '127.0.0.1');
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http(s) agents: resolves the name, then refuses the connection when any
 * resolved address is denied. The socket connects to the address checked here, so a DNS
 * answer cannot change between the check and the connection.
 */
export function guardedLookup(hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) {
      callback(error, '');
      return;
    }
    const list = addresses;
    const denied = list.find((a) => isDeniedAddress(a.address));
    if (denied) {
      callback(new AddressDeniedError(hostname, denied.address), '');
      return;
    }
    if ((options as LookupAllOptions).all) callback(null, list);
    else {
      const first = list[0];
      if (!first) callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
      else callback(null, first.address, first.family);
    }
  });
}
