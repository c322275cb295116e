/**
 * The rate-limit bucket of a client address, for the spellings `request.ip` can take: IPv4,
 * IPv6 in any form, IPv4-mapped IPv6, and link-local addresses with a zone id in any form Node
 * accepts (a throw here would fail the request), and what is no address at all (an
 * X-Forwarded-For entry copied as the client wrote it).
 */
import { isIPv6 } from 'node:net';
import test from 'ava';
import fc from 'fast-check';
import { addressBucket, UNPARSABLE_ADDRESS } from '../../../service/protection/client-address.js';

test('address bucket: IPv4 is itself; IPv6 is its /64 whatever the spelling; IPv4-mapped is the IPv4', (t) => {
  t.is(addressBucket('198.51.100.7'), '198.51.100.7');
  t.is(addressBucket('2001:db8:1:2::1'), '2001:db8:1:2::/64');
  t.is(addressBucket('2001:0DB8:0001:0002:ffff:0:0:9'), '2001:db8:1:2::/64');
  t.is(addressBucket('::ffff:198.51.100.7'), '198.51.100.7');
  t.is(addressBucket('::ffff:c633:6407'), '198.51.100.7');
});

test('address bucket: anything that is no IP address is one shared bucket, so invented entries earn no fresh allowance', (t) => {
  const buckets = ['foo', '999.1.1.1', '1.2.3.4.5', '', 'unknown', '::g', '1.1.1.1 '].map(
    addressBucket,
  );
  t.deepEqual(new Set(buckets), new Set([UNPARSABLE_ADDRESS]));
  t.not(addressBucket('198.51.100.7'), UNPARSABLE_ADDRESS);
});

test('address bucket: zone ids are dropped, in every spelling Node accepts, without throwing', (t) => {
  for (const ip of ['fe80::1%eth0', 'fe80::1%eth0.100', 'fe80::1%br-1a2b', 'fe80::1%a:b']) {
    t.true(isIPv6(ip), `${ip} is what Node may report`);
    t.is(addressBucket(ip), 'fe80:0:0:0::/64', ip);
  }
});

test('address bucket: never throws on any string Node takes for IPv6', (t) => {
  fc.assert(
    fc.property(fc.ipV6(), fc.stringMatching(/^[0-9a-zA-Z.:-]{0,12}$/), (ip, zone) => {
      const spelled = zone === '' ? ip : `${ip}%${zone}`;
      if (!isIPv6(spelled)) return;
      const bucket = addressBucket(spelled);
      t.true(bucket.endsWith('::/64') || !bucket.includes(':'), `${spelled} → ${bucket}`);
    }),
  );
});
