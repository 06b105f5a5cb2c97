import {
  accessServicesFor,
  type AccessView,
  imageAuthServices,
  probeResult,
  probeUrl,
  substituteServices,
} from './auth-services';

const AUTH = 'https://auth.example.org';
const view: AccessView = {
  customerId: 3,
  displayName: 'Example Library',
  roles: new Map([
    ['staff', 'login'],
    ['readers', 'clickthrough'],
    ['more-readers', 'clickthrough'],
    ['campus', 'ip'],
    ['dangling', 'deleted-service'],
  ]),
  services: new Map([
    [
      'clickthrough',
      {
        name: 'clickthrough',
        profile: 'active',
        label: { en: ['Terms'] },
        heading: { en: ['Read'] },
        note: { en: ['Note'] },
        confirmLabel: { en: ['Accept'] },
        providerType: 'clickthrough',
      },
    ],
    [
      'login',
      {
        name: 'login',
        profile: 'kiosk',
        label: { en: ['Kiosk'] },
        heading: { en: ['x'] },
        providerType: 'builtin',
      },
    ],
    ['ip', { name: 'ip', profile: 'external', label: { en: ['Campus'] }, providerType: 'oidc' }],
  ]),
};

describe('accessServicesFor (IIIF Auth 2.0 §2.2-§2.4)', () => {
  it('one access service per distinct service of the roles, in role order, with token and logout', () => {
    const services = accessServicesFor(view, ['readers', 'staff', 'more-readers'], AUTH);
    expect(services).toEqual([
      {
        id: `${AUTH}/auth/v2/access/3/clickthrough`,
        profile: 'active',
        label: { en: ['Terms'] },
        heading: { en: ['Read'] },
        note: { en: ['Note'] },
        confirmLabel: { en: ['Accept'] },
        tokenService: `${AUTH}/auth/v2/token/3`,
        logoutService: {
          id: `${AUTH}/auth/v2/access/3/clickthrough/logout`,
          label: { en: ['Log out of Example Library'] },
        },
      },
      {
        // kiosk: no heading/note/confirmLabel (the client shows no UI for it)
        id: `${AUTH}/auth/v2/access/3/login`,
        profile: 'kiosk',
        label: { en: ['Kiosk'] },
        tokenService: `${AUTH}/auth/v2/token/3`,
        logoutService: {
          id: `${AUTH}/auth/v2/access/3/login/logout`,
          label: { en: ['Log out of Example Library'] },
        },
      },
    ]);
  });

  it('a customer without a display name: a plain logout label', () => {
    const [a] = accessServicesFor({ ...view, displayName: undefined }, ['readers'], AUTH);
    expect(a.logoutService?.label).toEqual({ en: ['Log out'] });
  });

  it('external: no id; unknown roles and dangling services: nothing', () => {
    const [external] = accessServicesFor(view, ['campus'], AUTH);
    expect(external.id).toBeUndefined();
    expect(external.profile).toBe('external');
    expect(accessServicesFor(view, ['nobody', 'dangling', 'https://x/roles/staff'], AUTH)).toEqual([]);
  });

  it('3.0 and 2.1 service entries: the probe tree, 2.1 with its own @context first', () => {
    const access = accessServicesFor(view, ['campus'], AUTH);
    const [v3] = imageAuthServices(3, 'https://d/auth/v2/probe/3/1/a', access);
    expect(v3).toEqual({
      id: 'https://d/auth/v2/probe/3/1/a',
      type: 'AuthProbeService2',
      service: [
        {
          type: 'AuthAccessService2',
          profile: 'external',
          label: { en: ['Campus'] },
          service: [
            { id: `${AUTH}/auth/v2/token/3`, type: 'AuthAccessTokenService2' },
            {
              id: `${AUTH}/auth/v2/access/3/ip/logout`,
              type: 'AuthLogoutService2',
              label: { en: ['Log out of Example Library'] },
            },
          ],
        },
      ],
    });
    const [v2] = imageAuthServices(2, 'https://d/auth/v2/probe/3/1/a', access);
    expect(Object.keys(v2)[0]).toBe('@context');
    expect(v2).toEqual({ '@context': 'http://iiif.io/api/auth/2/context.json', ...v3 });
  });
});

describe('probeResult (IIIF Auth 2.0 §2.1.1)', () => {
  const asset = { customerId: 3, spaceId: 1, id: 'a b' };
  const probe = probeUrl('https://d', asset);
  const substitute = substituteServices('https://d', asset, 3);
  const access = accessServicesFor(view, ['readers'], AUTH);

  it('names the probe and substitutes as delivery URLs', () => {
    expect(probe).toBe('https://d/auth/v2/probe/3/1/a%20b');
    expect(substitute).toEqual([
      { id: 'https://d/iiif-img/3/1/a%20b/substitute', type: 'ImageService3', profile: 'level2' },
      { id: 'https://d/iiif-img/v2/3/1/a%20b/substitute', type: 'ImageService2', profile: 'level2' },
    ]);
  });

  it('200: just the status', () => {
    expect(probeResult(probe, { status: 200, substitute: false }, access, substitute)).toEqual({
      '@context': 'http://iiif.io/api/auth/2/context.json',
      id: probe,
      type: 'AuthProbeResult2',
      status: 200,
    });
  });

  it("401: the first access service's heading and note, the substitute when offered", () => {
    expect(probeResult(probe, { status: 401, substitute: true }, access, substitute)).toMatchObject({
      status: 401,
      heading: { en: ['Read'] },
      note: { en: ['Note'] },
      substitute,
    });
    const plain = probeResult(probe, { status: 401, substitute: false }, [], substitute);
    expect(plain.substitute).toBeUndefined();
    expect(plain.heading).toEqual({ en: [expect.any(String)] });
  });

  it('403: its own heading and note', () => {
    const result = probeResult(probe, { status: 403, substitute: true }, access, substitute);
    expect(result.heading).toEqual({ en: ['Access denied'] });
    expect(result.substitute).toEqual(substitute);
  });
});
