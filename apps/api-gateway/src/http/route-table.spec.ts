import { METHODS } from 'node:http';
import { RouteTable } from './route-table';

describe('RouteTable', () => {
  const table = new RouteTable([
    { method: 'GET', path: '/customers' },
    { method: 'POST', path: '/customers' },
    { method: 'GET', path: '/customers/:customer/keys/:key' },
    { method: 'DELETE', path: '/customers/:customer/keys/:key' },
    { method: 'GET', path: '/' },
  ]);
  it('finds the route and its raw parameters (case-insensitive, optional trailing slash)', () => {
    expect(table.resolve('GET', '/customers/2%00/keys/a%20b')).toEqual({
      kind: 'route',
      template: '/customers/:customer/keys/:key',
      params: { customer: '2%00', key: 'a%20b' },
    });
    expect(table.resolve('head', '/Customers/')).toMatchObject({ kind: 'route', template: '/customers' });
    expect(table.resolve('GET', '/')).toMatchObject({ kind: 'route' });
  });
  it('lists the allowed methods of a known path (HEAD with GET), and nothing for an unknown one', () => {
    expect(table.resolve('PUT', '/customers')).toEqual({
      kind: 'method-not-allowed',
      allow: ['GET', 'HEAD', 'POST'],
    });
    expect(table.resolve('PATCH', '/customers/1/keys/k')).toEqual({
      kind: 'method-not-allowed',
      allow: ['DELETE', 'GET', 'HEAD'],
    });
    expect(table.resolve('GET', '/nope')).toEqual({ kind: 'none' });
  });
  it('skips Nest middleware mounted as all-method routes', () => {
    const all = Object.fromEntries(METHODS.map((m) => [m.toLowerCase(), true]));
    const t = RouteTable.fromExpress({
      router: {
        stack: [
          { route: { path: '/{*path}', methods: all } },
          { route: { path: '/x', methods: { get: true } } },
        ],
      },
    });
    expect(t.resolve('POST', '/x')).toEqual({ kind: 'method-not-allowed', allow: ['GET', 'HEAD'] });
    expect(t.resolve('GET', '/y')).toEqual({ kind: 'none' });
  });
});
