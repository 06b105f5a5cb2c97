import {
  embeddedIpv4,
  forbiddenAddressClass,
  formatIp,
  parseAllowList,
  parseCidr,
  parseIp,
  SsrfGuard,
  SsrfRefusedError,
} from './ssrf-guard';

describe('parseIp', () => {
  it.each([
    ['127.0.0.1', 4, '127.0.0.1'],
    ['2130706433', 4, '127.0.0.1'],
    ['0x7f000001', 4, '127.0.0.1'],
    ['0x7f.0.0.1', 4, '127.0.0.1'],
    ['0177.0.0.1', 4, '127.0.0.1'],
    ['127.1', 4, '127.0.0.1'],
    ['10.1.258', 4, '10.1.1.2'],
    ['169.254.169.254', 4, '169.254.169.254'],
    ['0', 4, '0.0.0.0'],
    ['0x', 4, '0.0.0.0'],
  ])('IPv4 %s', (input, family, formatted) => {
    const ip = parseIp(input)!;
    expect(ip.family).toBe(family);
    expect(formatIp(ip)).toBe(formatted);
  });

  it.each([
    ['::1', '0:0:0:0:0:0:0:1'],
    ['[::1]', '0:0:0:0:0:0:0:1'],
    ['::ffff:127.0.0.1', '0:0:0:0:0:ffff:7f00:1'],
    ['::ffff:7f00:1', '0:0:0:0:0:ffff:7f00:1'],
    ['fe80::1%eth0', 'fe80:0:0:0:0:0:0:1'],
    ['2001:db8::8a2e:370:7334', '2001:db8:0:0:0:8a2e:370:7334'],
  ])('IPv6 %s', (input, formatted) => {
    const ip = parseIp(input)!;
    expect(ip.family).toBe(6);
    expect(formatIp(ip)).toBe(formatted);
  });

  it.each([
    'example.org',
    'localhost',
    '256.1.1.1',
    '1.2.3.4.5',
    '0y',
    '1..1',
    '',
    ':::',
    '12345:1::',
    '4294967296',
  ])('rejects %j', (input) => {
    expect(parseIp(input)).toBeNull();
  });

  it('agrees with WHATWG URL host normalisation for legacy IPv4 forms', () => {
    for (const host of ['2130706433', '0x7f000001', '0177.0.0.1', '127.1', '0x7f.1']) {
      expect(formatIp(parseIp(host)!)).toBe(new URL(`http://${host}/`).hostname);
    }
  });
});

describe('forbiddenAddressClass', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['2130706433', 'loopback'],
    ['0x7f000001', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'shared address space (carrier-grade NAT)'],
    ['0.0.0.0', 'unspecified ("this network")'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456:789a::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'site-local (deprecated)'],
    ['2001:db8::1', 'documentation'],
    ['::ffff:127.0.0.1', 'loopback (IPv4 embedded in IPv6)'],
    ['::ffff:7f00:1', 'loopback (IPv4 embedded in IPv6)'],
    ['::ffff:10.0.0.1', 'private (IPv4 embedded in IPv6)'],
    ['::ffff:169.254.169.254', 'link-local (IPv4 embedded in IPv6)'],
    ['64:ff9b::127.0.0.1', 'loopback (IPv4 embedded in IPv6)'],
    ['2002:7f00:1::', 'loopback (IPv4 embedded in IPv6)'],
    ['::127.0.0.1', 'IPv4-compatible (deprecated)'],
  ])('%s is %s', (address, cls) => {
    expect(forbiddenAddressClass(address)).toBe(cls);
  });

  it.each([
    '8.8.8.8',
    '93.184.216.34',
    '172.32.0.1',
    '172.15.255.255',
    '192.169.0.1',
    '100.128.0.1',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
    '2002:808:808::',
  ])('%s is public', (address) => {
    expect(forbiddenAddressClass(address)).toBeNull();
  });

  it('throws on a host name', () => {
    expect(() => forbiddenAddressClass('example.org')).toThrow('Not an IP address');
  });

  it('extracts IPv4 from 6to4 and NAT64 forms', () => {
    expect(formatIp(embeddedIpv4(parseIp('2002:c0a8:0101::1')!)!)).toBe('192.168.1.1');
    expect(formatIp(embeddedIpv4(parseIp('64:ff9b::10.0.0.1')!)!)).toBe('10.0.0.1');
    expect(embeddedIpv4(parseIp('2606:4700::1')!)).toBeNull();
  });
});

describe('parseCidr / parseAllowList', () => {
  it('parses CIDRs and single addresses', () => {
    expect(parseCidr('127.0.0.1/32')).toEqual({ family: 4, base: 0x7f000001n, bits: 32 });
    expect(parseCidr('10.1.2.3/8')).toEqual({ family: 4, base: 0x0a000000n, bits: 8 });
    expect(parseCidr('::1')).toEqual({ family: 6, base: 1n, bits: 128 });
    expect(parseCidr('10.0.0.0/33')).toBeNull();
    expect(parseCidr('10.0.0.0/')).toBeNull();
    expect(parseCidr('localhost')).toBeNull();
  });

  it('splits host names from CIDRs', () => {
    const list = parseAllowList(' 127.0.0.1/32, LocalHost. ,origin.internal,,fd00::/8 ');
    expect([...list.hosts]).toEqual(['localhost', 'origin.internal']);
    expect(list.cidrs).toHaveLength(2);
    expect(parseAllowList(undefined).cidrs).toEqual([]);
  });
});

describe('SsrfGuard', () => {
  const lookups: Record<string, Array<{ address: string; family: 4 | 6 }>> = {
    'public.example': [{ address: '93.184.216.34', family: 4 }],
    'rebind.example': [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ],
    'metadata.example': [{ address: '169.254.169.254', family: 4 }],
    localhost: [
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ],
    'v6.example': [{ address: '::ffff:127.0.0.1', family: 6 }],
  };
  const lookup = async (h: string) => {
    const found = lookups[h];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${h}`), { code: 'ENOTFOUND' });
    return found;
  };

  it('allows public addresses', async () => {
    const guard = new SsrfGuard(parseAllowList(''), lookup);
    await expect(guard.resolve('public.example')).resolves.toEqual([{ address: '93.184.216.34', family: 4 }]);
    await expect(guard.resolve('8.8.8.8')).resolves.toEqual([{ address: '8.8.8.8', family: 4 }]);
  });

  it.each([
    'localhost',
    'metadata.example',
    'rebind.example',
    'v6.example',
    '127.0.0.1',
    '2130706433',
    '0x7f.1',
    '[::1]',
    '[::ffff:127.0.0.1]',
  ])('refuses %s by default', async (host) => {
    const guard = new SsrfGuard(parseAllowList(''), lookup);
    await expect(guard.resolve(host)).rejects.toBeInstanceOf(SsrfRefusedError);
  });

  it('names the address and its class in the error', async () => {
    const guard = new SsrfGuard(parseAllowList(''), lookup);
    await expect(guard.resolve('metadata.example')).rejects.toThrow(
      /metadata\.example resolves to 169\.254\.169\.254 \(link-local\).*VELLUM_ORIGIN_ALLOWLIST/,
    );
  });

  it('allows an allow-listed host name whatever it resolves to', async () => {
    const guard = new SsrfGuard(parseAllowList('localhost'), lookup);
    await expect(guard.resolve('localhost')).resolves.toHaveLength(2);
    await expect(guard.resolve('LOCALHOST.')).resolves.toHaveLength(2);
    await expect(guard.resolve('metadata.example')).rejects.toBeInstanceOf(SsrfRefusedError);
  });

  it('allows addresses inside an allow-listed CIDR only', async () => {
    const guard = new SsrfGuard(parseAllowList('127.0.0.1/32'), lookup);
    await expect(guard.resolve('127.0.0.1')).resolves.toHaveLength(1);
    await expect(guard.resolve('2130706433')).resolves.toEqual([{ address: '127.0.0.1', family: 4 }]);
    await expect(guard.resolve('v6.example')).resolves.toHaveLength(1); // IPv4-mapped 127.0.0.1
    await expect(guard.resolve('127.0.0.2')).rejects.toBeInstanceOf(SsrfRefusedError);
    await expect(guard.resolve('localhost')).rejects.toThrow(/::1/); // ::1 is not in 127.0.0.1/32
  });

  it('passes lookup errors through', async () => {
    const guard = new SsrfGuard(parseAllowList(''), lookup);
    await expect(guard.resolve('nowhere.example')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});
