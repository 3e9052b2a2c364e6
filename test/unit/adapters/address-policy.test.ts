import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkLiteralHost, isDeniedAddress } from '../../../src/adapters/http/address-policy';

const DENIED = [
  // IPv4: unspecified, loopback, private, CGNAT, link-local/metadata, reserved.
  '0.0.0.0', '127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '100.64.0.1', '169.254.169.254', '192.88.99.1', '240.0.0.1',
  // IPv6: unspecified, loopback, IPv4-compatible (any IPv4), unique local, link-local (with a zone), site-local, multicast.
  '::', '::1', '::127.0.0.1', '::7f00:1', '::8.8.8.8', 'fd00:ec2::254', 'fe80::1', 'fe80::1%eth0', 'fec0::1', 'feff::1', 'ff02::1',
  // IPv4-mapped, every spelling.
  '::ffff:127.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:ffff:7f00:1', '::FFFF:10.0.0.1', '::ffff:a9fe:a9fe',
  // IPv4-translated (RFC 2765) around a private IPv4.
  '::ffff:0:7f00:1', '::ffff:0:127.0.0.1', '::ffff:0:a00:1',
  // 6to4 around a private IPv4.
  '2002:7f00:1::', '2002:c0a8:101::', '2002:c0a8:0101::1', '2002:a00:1::', '2002:a9fe:a9fe::',
  // NAT64 around a private IPv4, and the local-use NAT64 prefix.
  '64:ff9b::7f00:1', '64:ff9b::127.0.0.1', '64:ff9b::10.0.0.1', '64:ff9b::a9fe:a9fe', '64:ff9b:1::8.8.8.8',
  // Teredo, discard-only, documentation.
  '2001::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '100::1', '2001:db8::1',
];

const ALLOWED = ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8', '::ffff:808:808', '::ffff:0:808:808', '2002:808:808::1', '64:ff9b::8.8.8.8', '64:ff9b::808:808', '2a00:1450:4001::200e'];

describe('address policy', () => {
  for (const address of DENIED) {
    it(`refuses ${address}`, () => assert.equal(isDeniedAddress(address), true));
  }
  for (const address of ALLOWED) {
    it(`allows ${address}`, () => assert.equal(isDeniedAddress(address), false));
  }

  it('refuses literal hosts as URL parsers normalise them (brackets, IPv4 shorthands)', () => {
    for (const url of ['http://[::127.0.0.1]/', 'http://[::ffff:127.0.0.1]/', 'http://[2002:7f00:1::]/', 'http://[fec0::1]/', 'http://[64:ff9b::10.0.0.1]/', 'http://[2001:0::1]/', 'http://[::]/', 'http://0.0.0.0/', 'http://2130706433/', 'http://0x7f.1/']) {
      assert.throws(() => checkLiteralHost(new URL(url).hostname), { code: 'ADDRESS_DENIED' }, url);
    }
    assert.doesNotThrow(() => checkLiteralHost(new URL('http://[2606:4700:4700::1111]/').hostname));
  });
});
