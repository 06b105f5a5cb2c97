import {
  type AccessSettings,
  imageRequestAccess,
  isOpenThumbnail,
  openEdge,
  openThumbnailEdge,
  probeOutcome,
  substituteMaxWidth,
} from './access-rules';

const asset = (roles: string[], maxWidth = 0, openFullMax = 0, openMaxWidth = 0): AccessSettings => ({
  roles,
  maxWidth,
  openFullMax,
  openMaxWidth,
});
const anonymous = undefined;
const staff = { roles: ['staff'] };
const other = { roles: ['reading-room'] };

// Seed 004 "maxWidth", "openFullMax", "openMaxWidth" and SPEC.md §6, one row per rule the seed states.
describe('imageRequestAccess (seed 004 size restrictions)', () => {
  const cases: Array<
    [
      string,
      AccessSettings,
      { fullRegion: boolean; width: number; height: number },
      typeof staff | undefined,
      string,
    ]
  > = [
    [
      'open asset, any size, anyone',
      asset([]),
      { fullRegion: false, width: 4000, height: 3000 },
      anonymous,
      'allowed',
    ],
    [
      'maxWidth is a square box: 100 w × 1000 h refused at maxWidth 100',
      asset([], 100),
      { fullRegion: true, width: 100, height: 1000 },
      anonymous,
      'over-max-width',
    ],
    [
      'maxWidth: within the box',
      asset([], 100),
      { fullRegion: true, width: 100, height: 80 },
      anonymous,
      'allowed',
    ],
    [
      'maxWidth applies with a role too',
      asset(['staff'], 512),
      { fullRegion: false, width: 513, height: 10 },
      staff,
      'over-max-width',
    ],
    [
      'roles, nothing open: anonymous needs a role',
      asset(['staff']),
      { fullRegion: true, width: 100, height: 100 },
      anonymous,
      'needs-role',
    ],
    [
      'roles: a caller with the role',
      asset(['staff']),
      { fullRegion: false, width: 3000, height: 3000 },
      staff,
      'allowed',
    ],
    [
      'roles: a caller with another role',
      asset(['staff']),
      { fullRegion: false, width: 10, height: 10 },
      other,
      'needs-role',
    ],
    [
      'openFullMax: /full/ within the square is open',
      asset(['staff'], 0, 400),
      { fullRegion: true, width: 400, height: 300 },
      anonymous,
      'allowed',
    ],
    [
      'openFullMax: /full/ over the square needs a role',
      asset(['staff'], 0, 400),
      { fullRegion: true, width: 401, height: 300 },
      anonymous,
      'needs-role',
    ],
    [
      'openFullMax: a region is never open by it',
      asset(['staff'], 0, 400),
      { fullRegion: false, width: 200, height: 200 },
      anonymous,
      'needs-role',
    ],
    [
      'openFullMax ignored without roles',
      asset([], 0, 400),
      { fullRegion: false, width: 4000, height: 4000 },
      anonymous,
      'allowed',
    ],
    [
      'openMaxWidth: any region within is open (deep zoom tiles)',
      asset(['staff'], 0, 0, 512),
      { fullRegion: false, width: 512, height: 512 },
      anonymous,
      'allowed',
    ],
    [
      'openMaxWidth: /full/ within is open',
      asset(['staff'], 0, 0, 512),
      { fullRegion: true, width: 512, height: 384 },
      anonymous,
      'allowed',
    ],
    [
      'openMaxWidth: over it needs a role',
      asset(['staff'], 0, 0, 512),
      { fullRegion: false, width: 1024, height: 512 },
      anonymous,
      'needs-role',
    ],
    [
      'openFullMax and openMaxWidth: /full/ takes the larger',
      asset(['staff'], 0, 800, 512),
      { fullRegion: true, width: 800, height: 600 },
      anonymous,
      'allowed',
    ],
    [
      'openFullMax and openMaxWidth: a region takes openMaxWidth',
      asset(['staff'], 0, 800, 512),
      { fullRegion: false, width: 800, height: 600 },
      anonymous,
      'needs-role',
    ],
    [
      '≤ 0 is unset',
      asset(['staff'], -1, -5, 0),
      { fullRegion: true, width: 1, height: 1 },
      anonymous,
      'needs-role',
    ],
    [
      'maxWidth caps the open sizes',
      asset(['staff'], 300, 400, 0),
      { fullRegion: true, width: 350, height: 100 },
      anonymous,
      'over-max-width',
    ],
  ];
  it.each(cases)('%s', (_name, a, req, caller, outcome) => {
    expect(imageRequestAccess(a, req, caller).outcome).toBe(outcome);
  });

  it('says whether the caller was authenticated', () => {
    expect(imageRequestAccess(asset(['staff']), { fullRegion: true, width: 9, height: 9 }, other)).toEqual({
      outcome: 'needs-role',
      authenticated: true,
    });
    expect(
      imageRequestAccess(asset(['staff']), { fullRegion: true, width: 9, height: 9 }, anonymous),
    ).toEqual({
      outcome: 'needs-role',
      authenticated: false,
    });
  });
});

describe('openEdge', () => {
  it.each([
    [asset([]), true, Infinity],
    [asset([], 256), false, 256],
    [asset(['staff']), true, 0],
    [asset(['staff'], 0, 400, 200), true, 400],
    [asset(['staff'], 0, 400, 200), false, 200],
    [asset(['staff'], 100, 400, 200), true, 100],
  ])('%j full=%s → %s', (a, full, edge) => expect(openEdge(a, full)).toBe(edge));
});

describe('thumbnails (seed 004: "nothing on the thumbnail delivery channel is subject to access control")', () => {
  it.each([
    ['open asset: unbounded', asset([]), undefined],
    ['open asset: capped by maxWidth', asset([], 400), 400],
    ['roles, openFullMax and openMaxWidth both 0: none', asset(['staff']), 0],
    ['roles: the larger of openFullMax and openMaxWidth', asset(['staff'], 0, 200, 400), 400],
    ['roles: openFullMax alone', asset(['staff'], 0, 200), 200],
    ['roles: maxWidth or openMaxWidth, whichever is lower', asset(['staff'], 300, 0, 512), 300],
  ])('%s', (_name, a, edge) => expect(openThumbnailEdge(a)).toBe(edge));

  it('tells a thumbnail size open or not', () => {
    expect(isOpenThumbnail(asset(['staff'], 0, 200), 200, 150)).toBe(true);
    expect(isOpenThumbnail(asset(['staff'], 0, 200), 150, 201)).toBe(false);
    expect(isOpenThumbnail(asset([]), 4000, 4000)).toBe(true);
  });
});

describe('substitute and probe (IIIF Auth 2.0 §2.1.1, seed 004 "openMaxWidth")', () => {
  it.each([
    ['open asset: no substitute', asset([], 0, 0, 512), undefined],
    ['roles without openMaxWidth: none', asset(['staff'], 0, 400), undefined],
    ['roles with openMaxWidth: its value', asset(['staff'], 0, 0, 512), 512],
    ['capped by maxWidth', asset(['staff'], 256, 0, 512), 256],
  ])('%s', (_name, a, max) => expect(substituteMaxWidth(a)).toBe(max));

  it.each([
    ['open asset', asset([]), anonymous, { status: 200, substitute: false }],
    ['anonymous, roles', asset(['staff']), anonymous, { status: 401, substitute: false }],
    [
      'anonymous, roles, openMaxWidth',
      asset(['staff'], 0, 0, 512),
      anonymous,
      { status: 401, substitute: true },
    ],
    ['another role', asset(['staff'], 0, 0, 512), other, { status: 403, substitute: true }],
    ['the role', asset(['staff', 'reading-room'], 0, 0, 512), other, { status: 200, substitute: false }],
  ])('%s', (_name, a, caller, result) => expect(probeOutcome(a, caller)).toEqual(result));
});
