import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';

/**
 * Loopback, private, link-local, carrier-grade NAT, multicast, reserved and cloud metadata
 * addresses: where a user-supplied URL must not reach. IPv6 addresses that embed an IPv4 address
 * (IPv4-mapped, IPv4-compatible, NAT64, 6to4) are judged by the IPv4 address they lead to.
 */
const blockedV4 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blockedV4.addSubnet(net, prefix, 'ipv4');
}

/** IPv6 ranges refused whatever follows the prefix (after the IPv4 embeddings are handled). */
const blockedV6 = new BlockList();
for (const [net, prefix] of [
  // Discard-only (RFC 6666).
  ['100::', 64],
  // Teredo (RFC 4380): tunnels to an IPv4 address that the policy cannot see.
  ['2001::', 32],
  // Benchmarking (RFC 5180), ORCHID and ORCHIDv2 (RFC 4843, 7343), documentation (RFC 3849).
  ['2001:2::', 48],
  ['2001:10::', 28],
  ['2001:20::', 28],
  ['2001:db8::', 32],
  // NAT64 local-use prefix (RFC 8215): translated to addresses of the local network.
  ['64:ff9b:1::', 48],
  // Unique local (RFC 4193), link-local, site-local (deprecated, RFC 3879) and multicast.
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blockedV6.addSubnet(net, prefix, 'ipv6');
}

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part and a zone id allowed). */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined): number[] => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const head = parse(halves[0]);
  const tail = parse(halves[1]);
  const groups = halves.length === 2 ? [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail] : head;
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

function ipv4Of(high: number, low: number): string {
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

/**
 * The IPv4 address an IPv6 address leads to, if it embeds one: IPv4-mapped `::ffff:a.b.c.d`
 * (any spelling), IPv4-translated `::ffff:0:a.b.c.d` (RFC 2765), NAT64 `64:ff9b::a.b.c.d`
 * (RFC 6052) and 6to4 `2002:AABB:CCDD::` (RFC 3056).
 */
function embeddedIpv4(groups: readonly number[]): string | undefined {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) return ipv4Of(g6, g7);
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0xffff && g5 === 0) return ipv4Of(g6, g7);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return ipv4Of(g6, g7);
  if (g0 === 0x2002) return ipv4Of(g1, g2);
  return undefined;
}

/** True when connecting to this IP address is refused by the private-network policy. */
export function isDeniedAddress(address: string): boolean {
  const family = isIP(address.replace(/%.*$/, ''));
  if (family === 4) return blockedV4.check(address, 'ipv4');
  if (family !== 6) return false;
  const groups = ipv6Groups(address);
  // Unparseable: refuse rather than guess.
  if (!groups) return true;
  const embedded = embeddedIpv4(groups);
  if (embedded !== undefined) return blockedV4.check(embedded, 'ipv4');
  // ::/96: the unspecified address, loopback and the deprecated IPv4-compatible addresses (RFC 4291).
  if (groups.slice(0, 6).every((g) => g === 0)) return true;
  return blockedV6.check(groups.map((g) => g.toString(16)).join(':'), 'ipv6');
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

/**
 * The first address of `host` when neither it nor any address it resolves to is denied; throws an
 * AddressDeniedError otherwise. For clients that connect to an address they are given (gRPC
 * channels), so that the address checked is the one connected to.
 */
export async function permittedAddress(host: string): Promise<string> {
  checkLiteralHost(host);
  const bare = bareHost(host);
  if (isIP(bare) !== 0) return bare;
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) => dnsLookup(bare, { all: true }, (error, list) => (error ? reject(error) : resolve(list))));
  const denied = addresses.find((a) => isDeniedAddress(a.address));
  if (denied) throw new AddressDeniedError(bare, denied.address);
  const first = addresses[0];
  if (!first) throw Object.assign(new Error(`no address for ${bare}`), { code: 'ENOTFOUND' });
  return first.address;
}
