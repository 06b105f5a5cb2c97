import { chooseLevel } from './pyramid-level';

// Pages of a 5312×2988 libvips pyramid (floor halving), as sharp reports them.
const LEVELS = [
  { width: 5312, height: 2988 },
  { width: 2656, height: 1494 },
  { width: 1328, height: 747 },
  { width: 664, height: 373 },
  { width: 332, height: 186 },
];

describe('chooseLevel', () => {
  it.each([
    // region, output, expected page, expected rect in page pixels
    [{ x: 0, y: 0, w: 512, h: 512 }, [512, 512], 0, { x: 0, y: 0, w: 512, h: 512 }],
    [{ x: 1024, y: 1024, w: 1024, h: 1024 }, [512, 512], 1, { x: 512, y: 512, w: 512, h: 512 }],
    [{ x: 4096, y: 0, w: 1216, h: 2988 }, [152, 374], 3, { x: 512, y: 0, w: 152, h: 373 }],
    [{ x: 0, y: 0, w: 5312, h: 2988 }, [332, 187], 4, { x: 0, y: 0, w: 332, h: 186 }],
    [{ x: 0, y: 0, w: 5312, h: 2988 }, [200, 113], 4, { x: 0, y: 0, w: 332, h: 186 }],
    [{ x: 0, y: 0, w: 5312, h: 2988 }, [400, 225], 3, { x: 0, y: 0, w: 664, h: 373 }],
    [{ x: 0, y: 0, w: 100, h: 100 }, [200, 200], 0, { x: 0, y: 0, w: 100, h: 100 }],
    [{ x: 10, y: 10, w: 1000, h: 600 }, [300, 180], 1, { x: 5, y: 5, w: 500, h: 300 }],
    [{ x: 5311, y: 2987, w: 1, h: 1 }, [1, 1], 0, { x: 5311, y: 2987, w: 1, h: 1 }],
    [{ x: 5310, y: 2986, w: 2, h: 2 }, [2, 2], 0, { x: 5310, y: 2986, w: 2, h: 2 }],
  ] as const)('region %j → %j reads page %i %j', (region, [w, h], page, rect) => {
    const choice = chooseLevel(LEVELS, region, w, h);
    expect(choice.page).toBe(page);
    expect(choice.rect).toEqual(rect);
  });

  it('never maps outside the page and keeps at least one pixel', () => {
    const c = chooseLevel(LEVELS, { x: 5310, y: 2986, w: 2, h: 2 }, 1, 1);
    expect(c.rect.x + c.rect.w).toBeLessThanOrEqual(LEVELS[c.page].width);
    expect(c.rect.w).toBeGreaterThanOrEqual(1);
  });

  it('works with a single-page image', () => {
    expect(chooseLevel([{ width: 100, height: 50 }], { x: 0, y: 0, w: 100, h: 50 }, 10, 5).page).toBe(0);
  });
});
