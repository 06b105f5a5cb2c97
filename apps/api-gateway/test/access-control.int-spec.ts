/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are untyped JSON */
import { verifyPassword } from '@vellum/access';
import { SecretBox } from '@vellum/secrets';
import { waitFor } from '@vellum/testing';
import { isProblem, seedCustomer, startTestGateway, type CallResult, type TestGateway } from './harness';

/**
 * Access control management through the real gateway and Postgres (issue 10, SPEC.md §3.3, §6): the defaults of a
 * new customer, CRUD of roles, access services, role providers and users, validation (400 naming fields), name
 * clashes and deletes of referenced things (409), the `customer.access-control.changed.v1` outbox rows, and roles
 * stored by name but accepted and rendered as URIs on assets, spaces and custom headers.
 */
describe('access control (integration)', () => {
  let gw: TestGateway;
  let admin: string;
  let key: string;
  let c: number;
  let otherKey: string;
  let other: number;
  const C = () => `/customers/${c}`;
  const fields = (r: CallResult): string[] => (r.json?.errors ?? []).map((e: any) => e.field);
  const expect400 = (r: CallResult, ...names: string[]) => {
    expect({ status: r.status, problem: isProblem(r) }).toEqual({ status: 400, problem: true });
    expect(fields(r)).toEqual(expect.arrayContaining(names));
  };
  const expectStatus = (r: CallResult, status: number) =>
    expect({ status: r.status, body: r.status === status ? undefined : r.json }).toEqual({
      status,
      body: undefined,
    });
  const changeEvents = async (customerId = c) =>
    (
      await gw.prisma.outboxMessage.findMany({ where: { routingKey: 'customer.access-control.changed.v1' } })
    ).filter((m) => (m.envelope as any).data.customerId === customerId).length;
  const api = (p: string) => `${gw.base}${p}`;

  beforeAll(async () => {
    gw = await startTestGateway({ VELLUM_AUTH_URL: 'https://auth.example.org/' });
    ({ admin, key, customerId: c } = await seedCustomer(gw));
    other = (
      await gw.call('POST', '/customers', { key: admin, body: { name: 'other', displayName: 'Other' } })
    ).json.id;
    const k = await gw.call('POST', `/customers/${other}/keys`, { key: admin });
    otherKey = `${k.json.key}:${k.json.secret}`;
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
  });

  it('a new customer has the clickthrough role provider, access service and role; the customer links them', async () => {
    const customer = (await gw.call('GET', C(), { key })).json;
    for (const k of ['roles', 'accessServices', 'roleProviders', 'users'])
      expect(customer[k]).toBe(api(`${C()}/${k}`));
    const provider = await gw.call('GET', `${C()}/roleProviders/clickthrough`, { key });
    expect(provider.json).toMatchObject({
      '@id': api(`${C()}/roleProviders/clickthrough`),
      '@type': 'vocab:RoleProvider',
      name: 'clickthrough',
      type: 'clickthrough',
    });
    expect(provider.json.clientSecret).toBeUndefined();
    const service = await gw.call('GET', `${C()}/accessServices/clickthrough`, { key });
    expect(service.json).toMatchObject({
      '@id': api(`${C()}/accessServices/clickthrough`),
      '@type': 'vocab:AccessService',
      name: 'clickthrough',
      profile: 'active',
      label: { en: ['Terms of use'] },
      confirmLabel: { en: ['Accept the terms'] },
      heading: { en: [expect.any(String)] },
      note: { en: [expect.any(String)] },
      roleProvider: api(`${C()}/roleProviders/clickthrough`),
      service: `https://auth.example.org/auth/v2/access/${c}/clickthrough`,
    });
    const role = await gw.call('GET', `${C()}/roles/clickthrough`, { key });
    expect(role.json).toMatchObject({
      '@id': api(`${C()}/roles/clickthrough`),
      '@type': 'vocab:Role',
      name: 'clickthrough',
      label: { en: ['Clickthrough'] },
      accessService: api(`${C()}/accessServices/clickthrough`),
    });
    const list = await gw.call('GET', `${C()}/roles`, { key });
    expect(list.json).toMatchObject({ '@type': 'Collection', totalItems: 1 });
    expect(list.json.member[0]['@id']).toBe(role.json['@id']);
  });

  it('roles: POST (201 + Location), GET, PUT creates or replaces, PATCH, DELETE; each change in the outbox', async () => {
    const before = await changeEvents();
    const created = await gw.call('POST', `${C()}/roles`, {
      key,
      body: {
        name: 'staff',
        label: { en: ['Staff'] },
        accessService: api(`${C()}/accessServices/clickthrough`),
      },
    });
    expectStatus(created, 201);
    expect(created.headers.get('location')).toBe(api(`${C()}/roles/staff`));
    expect(created.json).toMatchObject({
      name: 'staff',
      accessService: api(`${C()}/accessServices/clickthrough`),
    });
    expect(await changeEvents()).toBe(before + 1);
    expectStatus(
      await gw.call('POST', `${C()}/roles`, { key, body: { name: 'staff', label: { en: ['x'] } } }),
      409,
    );

    const put = await gw.call('PUT', `${C()}/roles/readers`, {
      key,
      body: { label: { en: ['Readers'], fr: ['Lecteurs'] } },
    });
    expectStatus(put, 201);
    expect(put.json).toMatchObject({
      name: 'readers',
      accessService: api(`${C()}/accessServices/clickthrough`),
    });
    const replaced = await gw.call('PUT', `${C()}/roles/readers`, {
      key,
      body: { ...put.json, label: { none: ['R'] } },
    });
    expectStatus(replaced, 200);
    expect(replaced.json.label).toEqual({ none: ['R'] });
    const patched = await gw.call('PATCH', `${C()}/roles/readers`, {
      key,
      body: { label: { en: ['Readers 2'] } },
    });
    expect(patched.json).toMatchObject({ label: { en: ['Readers 2'] }, name: 'readers' });
    expect(await changeEvents()).toBe(before + 4);
    expectStatus(await gw.call('DELETE', `${C()}/roles/readers`, { key }), 204);
    expectStatus(await gw.call('GET', `${C()}/roles/readers`, { key }), 404);
    expectStatus(await gw.call('DELETE', `${C()}/roles/readers`, { key }), 404);
    expect(await changeEvents()).toBe(before + 5);
    const row = await gw.prisma.outboxMessage.findFirst({
      where: { routingKey: 'customer.access-control.changed.v1' },
    });
    expect(row!.envelope).toMatchObject({
      producer: 'api-gateway',
      data: { customerId: expect.any(Number) },
    });
    await waitFor(
      async () => (await gw.prisma.outboxMessage.findUnique({ where: { id: row!.id } }))?.sentAt != null,
      {
        timeoutMs: 10_000,
        description: 'the access-control change published by the outbox relay',
      },
    );
  });

  it('roles: validation names the fields', async () => {
    expect400(
      await gw.call('POST', `${C()}/roles`, { key, body: { name: 'Bad Name', label: { en: ['x'] } } }),
      'name',
    );
    expect400(
      await gw.call('POST', `${C()}/roles`, { key, body: { name: '-x', label: { en: ['x'] } } }),
      'name',
    );
    expect400(
      await gw.call('POST', `${C()}/roles`, { key, body: { name: 'a'.repeat(101), label: { en: ['x'] } } }),
      'name',
    );
    expect400(await gw.call('POST', `${C()}/roles`, { key, body: { name: 'ok' } }), 'label');
    for (const label of [{}, { en: [] }, { en: [''] }, { en: 'x' }, { 'not a tag': ['x'] }, ['x'], 'x'])
      expect400(await gw.call('POST', `${C()}/roles`, { key, body: { name: 'ok', label } }), 'label');
    expect400(
      await gw.call('POST', `${C()}/roles`, {
        key,
        body: { name: 'ok', label: { en: ['x'] }, accessService: 'nope' },
      }),
      'accessService',
    );
    expect400(
      await gw.call('POST', `${C()}/roles`, {
        key,
        body: {
          name: 'ok',
          label: { en: ['x'] },
          accessService: `https://h.example/customers/${other}/accessServices/clickthrough`,
        },
      }),
      'accessService',
    );
    expect400(
      await gw.call('PUT', `${C()}/roles/staff`, { key, body: { name: 'other', label: { en: ['x'] } } }),
      'name',
    );
    expect400(await gw.call('PATCH', `${C()}/roles/staff`, { key, body: { label: null } }), 'label');
    expect400(
      await gw.call('POST', `${C()}/roles`, { key, body: { name: 'ok', label: { en: ['x'] }, extra: 1 } }),
      'extra',
    );
    expectStatus(await gw.call('GET', `${C()}/roles/NOT%20A%20NAME`, { key }), 404);
  });

  it('access services: CRUD, profile, clearing texts, the role provider must exist; delete of a used one → 409', async () => {
    const created = await gw.call('POST', `${C()}/accessServices`, {
      key,
      body: {
        name: 'staff-login',
        profile: 'kiosk',
        label: { en: ['Staff login'] },
        heading: { en: ['Staff only'] },
        note: { en: ['Log in with your staff account'] },
        confirmLabel: { en: ['Log in'] },
        roleProvider: 'clickthrough',
      },
    });
    expectStatus(created, 201);
    expect(created.json).toMatchObject({
      profile: 'kiosk',
      roleProvider: api(`${C()}/roleProviders/clickthrough`),
      service: `https://auth.example.org/auth/v2/access/${c}/staff-login`,
    });
    const cleared = await gw.call('PATCH', `${C()}/accessServices/staff-login`, {
      key,
      body: { heading: null },
    });
    expectStatus(cleared, 200);
    expect(cleared.json.heading).toBeUndefined();
    expect(cleared.json.note).toEqual({ en: ['Log in with your staff account'] });
    // PUT replaces: omitted optional fields go back to their defaults; echoing read-only `service` is fine.
    const replaced = await gw.call('PUT', `${C()}/accessServices/staff-login`, {
      key,
      body: { label: { en: ['Staff'] }, service: created.json.service },
    });
    expect(replaced.json).toMatchObject({ profile: 'active', label: { en: ['Staff'] } });
    expect(replaced.json.note).toBeUndefined();
    expect400(
      await gw.call('POST', `${C()}/accessServices`, {
        key,
        body: { name: 'x', label: { en: ['x'] }, profile: 'passive' },
      }),
      'profile',
    );
    expect400(
      await gw.call('POST', `${C()}/accessServices`, {
        key,
        body: { name: 'x', label: { en: ['x'] }, roleProvider: 'nope' },
      }),
      'roleProvider',
    );
    expect400(await gw.call('POST', `${C()}/accessServices`, { key, body: { name: 'x' } }), 'label');
    expectStatus(
      await gw.call('POST', `${C()}/accessServices`, {
        key,
        body: { name: 'staff-login', label: { en: ['x'] } },
      }),
      409,
    );

    await gw.call('PATCH', `${C()}/roles/staff`, { key, body: { accessService: 'staff-login' } });
    const refused = await gw.call('DELETE', `${C()}/accessServices/staff-login`, { key });
    expectStatus(refused, 409);
    expect(refused.json.detail).toMatch(/roles/);
    await gw.call('PATCH', `${C()}/roles/staff`, { key, body: { accessService: 'clickthrough' } });
    expectStatus(await gw.call('DELETE', `${C()}/accessServices/staff-login`, { key }), 204);
    const provider = await gw.call('DELETE', `${C()}/roleProviders/clickthrough`, { key });
    expectStatus(provider, 409);
    expect(provider.json.detail).toMatch(/access services/);
  });

  it('role providers: oidc fields required, the secret sealed and rendered "xxx", role mapping stored by name', async () => {
    expect400(
      await gw.call('POST', `${C()}/roleProviders`, { key, body: { name: 'sso', type: 'oidc' } }),
      'issuer',
      'clientId',
      'clientSecret',
      'claim',
    );
    expect400(
      await gw.call('POST', `${C()}/roleProviders`, {
        key,
        body: {
          name: 'sso',
          type: 'oidc',
          issuer: 'http://login.example.org',
          clientId: 'v',
          clientSecret: 's',
          claim: 'groups',
        },
      }),
      'issuer',
    );
    expect400(
      await gw.call('POST', `${C()}/roleProviders`, {
        key,
        body: {
          name: 'sso',
          type: 'oidc',
          issuer: 'https://login.example.org',
          clientId: 'v',
          clientSecret: 's',
          claim: 'groups',
          roleMapping: { staff: ['no-such-role'] },
        },
      }),
      'roleMapping.staff',
    );
    expect400(
      await gw.call('POST', `${C()}/roleProviders`, {
        key,
        body: { name: 'bi', type: 'builtin', issuer: 'https://x.example' },
      }),
      'issuer',
    );
    expect400(
      await gw.call('POST', `${C()}/roleProviders`, { key, body: { name: 'bi', type: 'ldap' } }),
      'type',
    );

    const created = await gw.call('POST', `${C()}/roleProviders`, {
      key,
      body: {
        name: 'sso',
        type: 'oidc',
        issuer: 'http://127.0.0.1:41001/realms/staff',
        clientId: 'vellum',
        clientSecret: 'top-secret',
        claim: 'groups',
        roleMapping: { staff: [api(`${C()}/roles/staff`)], '*': ['clickthrough'] },
      },
    });
    expectStatus(created, 201);
    expect(created.json).toMatchObject({
      type: 'oidc',
      clientSecret: 'xxx',
      scopes: 'openid profile email',
      roleMapping: { staff: [api(`${C()}/roles/staff`)], '*': [api(`${C()}/roles/clickthrough`)] },
    });
    const row = await gw.prisma.roleProvider.findUnique({
      where: { customerId_name: { customerId: c, name: 'sso' } },
    });
    expect(row!.roleMapping).toEqual({ staff: ['staff'], '*': ['clickthrough'] });
    expect(row!.clientSecret).not.toContain('top-secret');
    const box = SecretBox.fromConfig({
      key: gw.env.VELLUM_SECRETS_KEY,
      previousKeys: gw.env.VELLUM_SECRETS_PREVIOUS_KEYS,
      nodeEnv: gw.env.NODE_ENV,
    });
    expect(box.open(row!.clientSecret!, `role-provider:${c}:sso`)).toBe('top-secret');

    // Echoing the rendered provider keeps the secret; PATCH changes only what it names.
    const echoed = await gw.call('PUT', `${C()}/roleProviders/sso`, {
      key,
      body: { ...created.json, claim: 'roles' },
    });
    expectStatus(echoed, 200);
    const after = await gw.prisma.roleProvider.findUnique({
      where: { customerId_name: { customerId: c, name: 'sso' } },
    });
    expect(box.open(after!.clientSecret!, `role-provider:${c}:sso`)).toBe('top-secret');
    expect(after!.claim).toBe('roles');
    const patched = await gw.call('PATCH', `${C()}/roleProviders/sso`, {
      key,
      body: { scopes: 'openid groups' },
    });
    expect(patched.json).toMatchObject({ scopes: 'openid groups', claim: 'roles', clientSecret: 'xxx' });

    // A role named by a mapping cannot be deleted.
    const refused = await gw.call('DELETE', `${C()}/roles/staff`, { key });
    expectStatus(refused, 409);
    expect(refused.json.detail).toMatch(/roleMapping/);
    // Changing the type away from oidc clears the OIDC fields.
    const builtin = await gw.call('PATCH', `${C()}/roleProviders/sso`, { key, body: { type: 'builtin' } });
    expect(builtin.json.type).toBe('builtin');
    expect(builtin.json.issuer).toBeUndefined();
    expect(builtin.json.clientSecret).toBeUndefined();
    expectStatus(await gw.call('DELETE', `${C()}/roleProviders/sso`, { key }), 204);
  });

  it('users: password hashed (scrypt), username lower-case and unique, roles by URI or name', async () => {
    const created = await gw.call('POST', `${C()}/users`, {
      key,
      body: {
        username: 'Alice',
        password: 'correct horse',
        roles: ['staff', api(`${C()}/roles/clickthrough`)],
      },
    });
    expectStatus(created, 201);
    expect(created.headers.get('location')).toMatch(new RegExp(`${C()}/users/[0-9a-f-]{36}$`));
    expect(created.json).toMatchObject({
      '@type': 'vocab:User',
      username: 'alice',
      enabled: true,
      roles: [api(`${C()}/roles/staff`), api(`${C()}/roles/clickthrough`)],
    });
    expect(created.json.password).toBeUndefined();
    const row = await gw.prisma.authUser.findUnique({ where: { id: created.json.id } });
    expect(row!.passwordHash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('correct horse', row!.passwordHash)).toBe(true);
    expect(row!.roles).toEqual(['staff', 'clickthrough']);

    expectStatus(
      await gw.call('POST', `${C()}/users`, { key, body: { username: 'ALICE', password: 'another one' } }),
      409,
    );
    expect400(
      await gw.call('POST', `${C()}/users`, { key, body: { username: 'bob', password: 'short' } }),
      'password',
    );
    expect400(await gw.call('POST', `${C()}/users`, { key, body: { username: 'bob' } }), 'password');
    const unknown = await gw.call('POST', `${C()}/users`, {
      key,
      body: { username: 'bob', password: 'long enough', roles: ['ghost'] },
    });
    expect400(unknown, 'roles');
    expect(unknown.json.detail).toMatch(/ghost/);

    const url = created.headers.get('location')!.slice(gw.base.length);
    const patched = await gw.call('PATCH', url, { key, body: { enabled: false, roles: [] } });
    expect(patched.json).toMatchObject({ enabled: false, roles: [] });
    const again = await gw.prisma.authUser.findUnique({ where: { id: created.json.id } });
    expect(again!.passwordHash).toBe(row!.passwordHash);
    const put = await gw.call('PUT', url, { key, body: { username: 'alice', password: 'a new password' } });
    expect(put.json).toMatchObject({ enabled: true, roles: [] });
    expect(
      await verifyPassword(
        'a new password',
        (await gw.prisma.authUser.findUnique({ where: { id: created.json.id } }))!.passwordHash,
      ),
    ).toBe(true);
    expectStatus(await gw.call('GET', url, { key: otherKey }), 403);
    expectStatus(
      await gw.call('GET', `/customers/${other}/users/${created.json.id}`, { key: otherKey }),
      404,
    );
    expectStatus(await gw.call('DELETE', url, { key }), 204);
    expectStatus(await gw.call('GET', url, { key }), 404);
  });

  it('assets, spaces and custom headers: roles by URI or name, stored by name, rendered as URIs; unknown → 400', async () => {
    const staff = api(`${C()}/roles/staff`);
    const put = await gw.call('PUT', `${C()}/spaces/1/images/r1`, {
      key,
      body: {
        origin: 'https://example.org/r1.jpg',
        mediaType: 'image/jpeg',
        roles: [`https://elsewhere.example/customers/acme/roles/staff`, 'clickthrough'],
      },
    });
    expect(put.status).toBeLessThan(300);
    expect(put.json.roles).toEqual([staff, api(`${C()}/roles/clickthrough`)]);
    const row = await gw.prisma.asset.findFirst({ where: { customerId: c, id: 'r1' } });
    expect(row!.roles).toEqual(['staff', 'clickthrough']);
    const unknown = await gw.call('PATCH', `${C()}/spaces/1/images/r1`, {
      key,
      body: { roles: ['ghost', 'staff'] },
    });
    expect400(unknown, 'roles');
    expect(unknown.json.detail).toMatch(/ghost/);
    expect400(
      await gw.call('PATCH', `${C()}/spaces/1/images/r1`, {
        key,
        body: { roles: [`https://h.example/customers/${other}/roles/staff`] },
      }),
      'roles',
    );
    // PATCH C/allImages with roles.
    const bulk = await gw.call('PATCH', `${C()}/allImages`, {
      key,
      body: { field: 'roles', operation: 'remove', value: [staff], member: [{ id: `${c}/1/r1` }] },
    });
    expect(bulk.status).toBe(200);
    expect(bulk.json.member[0].roles).toEqual([api(`${C()}/roles/clickthrough`)]);
    expect400(
      await gw.call('PATCH', `${C()}/allImages`, {
        key,
        body: { field: 'roles', operation: 'add', value: ['ghost'], member: [{ id: `${c}/1/r1` }] },
      }),
      'value',
    );
    // Queue members.
    const batch = await gw.call('POST', `${C()}/queue`, {
      key,
      body: {
        member: [
          {
            space: 1,
            id: 'q-ok',
            origin: 'https://example.org/q.jpg',
            mediaType: 'image/jpeg',
            roles: ['staff'],
          },
          {
            space: 1,
            id: 'q-bad',
            origin: 'https://example.org/q.jpg',
            mediaType: 'image/jpeg',
            roles: ['ghost'],
          },
        ],
      },
    });
    expect400(batch, 'member[1].roles');
    expect(fields(batch)).not.toContain('member[0].roles');
    // Space defaults.
    const space = await gw.call('PATCH', `${C()}/spaces/1`, { key, body: { defaultRoles: ['staff'] } });
    expect(space.json.defaultRoles).toEqual([staff]);
    expect400(
      await gw.call('PATCH', `${C()}/spaces/1`, { key, body: { defaultRoles: ['ghost'] } }),
      'defaultRoles',
    );
    // Custom headers.
    const header = await gw.call('POST', `${C()}/customHeaders`, {
      key,
      body: { key: 'X-Staff', value: '1', role: staff },
    });
    expect(header.status).toBe(201);
    expect(header.json.role).toBe(staff);
    expect(
      (await gw.prisma.customHeader.findUnique({
        where: { id: header.json.id ?? header.headers.get('location')!.split('/').pop() },
      }))!.role,
    ).toBe('staff');
    expect400(
      await gw.call('POST', `${C()}/customHeaders`, {
        key,
        body: { key: 'X-Ghost', value: '1', role: 'ghost' },
      }),
      'role',
    );

    // A role still used by an asset, a space and a header is not deleted.
    await gw.call('PUT', `${C()}/spaces/1/images/r2`, {
      key,
      body: { origin: 'https://example.org/r2.jpg', mediaType: 'image/jpeg', roles: ['staff'] },
    });
    const refused = await gw.call('DELETE', `${C()}/roles/staff`, { key });
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toMatch(/assets.*spaces.*custom headers/);
  });

  it('list filters: references by URI or name, enum values checked (400)', async () => {
    const q = (o: object) => `q=${encodeURIComponent(JSON.stringify(o))}`;
    const clickthrough = api(`${C()}/accessServices/clickthrough`);
    const total = async (p: string) => {
      const r = await gw.call('GET', `${C()}/${p}`, { key });
      expect([p, r.status]).toEqual([p, 200]);
      return r.json.totalItems as number;
    };
    const roles = await total('roles');
    expect(await total(`roles?accessService=${encodeURIComponent(clickthrough)}`)).toBe(roles);
    expect(await total(`roles?accessService=clickthrough`)).toBe(roles);
    expect(await total(`roles?${q({ accessService: clickthrough })}`)).toBe(roles);
    expect(await total('roles?name=staff')).toBe(1);
    expect(await total('accessServices?profile=active')).toBeGreaterThanOrEqual(1);
    expect(await total('accessServices?roleProvider=clickthrough')).toBeGreaterThanOrEqual(1);
    expect(await total('roleProviders?type=clickthrough')).toBe(1);
    expect400(await gw.call('GET', `${C()}/roleProviders?type=ldap`, { key }), 'type');
    expect400(await gw.call('GET', `${C()}/accessServices?${q({ profile: 'passive' })}`, { key }), 'profile');
    await gw.call('POST', `${C()}/users`, {
      key,
      body: { username: 'carol', password: 'long enough', roles: ['staff'] },
    });
    expect(await total(`users?roles=${encodeURIComponent(api(`${C()}/roles/staff`))}`)).toBe(1);
    expect(await total(`users?${q({ roles: ['staff'] })}`)).toBe(1);
    expect(await total(`users?roles=clickthrough`)).toBe(0);
  });

  it('tenant isolation: another customer key sees none of it; admin sees any', async () => {
    for (const p of [
      'roles',
      'accessServices',
      'roleProviders',
      'users',
      'roles/staff',
      'accessServices/clickthrough',
    ])
      expect([403, 404]).toContain((await gw.call('GET', `${C()}/${p}`, { key: otherKey })).status);
    expect((await gw.call('GET', `${C()}/roles/staff`, { key: admin })).status).toBe(200);
    const otherRoles = await gw.call('GET', `/customers/${other}/roles`, { key: otherKey });
    expect(otherRoles.json.member.map((m: any) => m.name)).toEqual(['clickthrough']);
    expect(await changeEvents(other)).toBe(0);
  });
});
