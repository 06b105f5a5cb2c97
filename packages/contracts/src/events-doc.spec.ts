import fs from 'node:fs';
import path from 'node:path';
import { renderEventsDoc } from './index';

describe('docs/events.md', () => {
  it('is generated from the current registry (run `pnpm --filter @vellum/contracts docs:events`)', () => {
    const doc = fs.readFileSync(path.resolve(__dirname, '../../../docs/events.md'), 'utf8');
    expect(doc).toBe(renderEventsDoc());
  });
});
