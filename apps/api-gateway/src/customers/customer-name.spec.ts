import { customerNameProblem } from './customer-name';

describe('customerNameProblem (SPEC.md §1)', () => {
  it.each(['acme', 'wellcome-collection', 'a.b_c-1', 'v', 'v2a', 'x'.repeat(60)])('accepts %p', (name) => {
    expect(customerNameProblem(name)).toBeNull();
  });
  it.each(['', 'admin', 'ADMIN', 'v2', 'V10', '123', 'a b', 'a/b', 'x'.repeat(61), undefined, 5])(
    'rejects %p',
    (name) => {
      expect(customerNameProblem(name)).not.toBeNull();
    },
  );
});
