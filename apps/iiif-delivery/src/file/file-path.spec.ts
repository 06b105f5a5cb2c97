import { ProblemException } from '@vellum/common';
import { parseFilePath } from './file-path';

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ProblemException ? err.getStatus() : -1;
  }
  return undefined;
}

describe('parseFilePath', () => {
  it.each([
    ['/file/1/5/doc.pdf', { customer: '1', space: '5', id: 'doc.pdf' }],
    ['/file/acme/5/doc.pdf/', { customer: 'acme', space: '5', id: 'doc.pdf' }],
    ['/file/1/5/my%20id', { customer: '1', space: '5', id: 'my id' }],
    ['/file/1/5/caf%C3%A9', { customer: '1', space: '5', id: 'café' }],
    ['/file/1/5/a%2Fb', { customer: '1', space: '5', id: 'a/b' }],
    ['/file/v2/5/x', { customer: 'v2', space: '5', id: 'x' }],
  ])('%s → %p', (raw, expected) => {
    expect(parseFilePath(raw)).toEqual(expected);
  });

  it.each([
    ['/file', 404],
    ['/file/', 404],
    ['/file/1', 404],
    ['/file/1/5', 404],
    ['/file/1/5/', 404],
    ['/file/1//x', 404],
    ['/file/1/5/x/extra', 404],
    ['/file/1/5/x//', 404],
    ['/files/1/5/x', 404],
    ['/file/1/5/%E0%A4%A', 400],
  ])('%s → %d', (raw, status) => {
    expect(statusOf(() => parseFilePath(raw))).toBe(status);
  });
});
