import { AccessServiceBodyDto } from '../access-services/access-service.dto';
import { ACCESS_SERVICE_FIELDS } from '../access-services/access-service.fields';
import { fieldsOf } from '../http/body-contract';
import { checkBody } from '../resource/body-check';
import { RoleProviderBodyDto, roleMappingProblem } from '../role-providers/role-provider.dto';
import { ROLE_PROVIDER_FIELDS } from '../role-providers/role-provider.fields';
import { issuerProblem } from '../role-providers/role-providers.service';
import { UserBodyDto } from '../users/user.dto';
import { USER_FIELDS } from '../users/user.fields';
import { accessNameProblem, languageMapProblem, refName } from './access-control';
import { RoleBodyDto } from './role.dto';
import { ROLE_FIELDS } from './role.fields';

describe('access control bodies and rules (issue 10)', () => {
  it.each<[string, new () => object, readonly string[]]>([
    ['role', RoleBodyDto, ROLE_FIELDS.writable],
    ['access service', AccessServiceBodyDto, ACCESS_SERVICE_FIELDS.writable],
    ['role provider', RoleProviderBodyDto, ROLE_PROVIDER_FIELDS.writable],
    ['user', UserBodyDto, USER_FIELDS.writable],
  ])("the %s body has exactly the field table's writable keys", (_, dto, writable) => {
    expect([...fieldsOf(dto)].sort()).toEqual([...writable].sort());
  });

  it.each<[unknown, boolean]>([
    ['staff', true],
    ['a', true],
    ['0-reading-room', true],
    ['a'.repeat(100), true],
    ['a'.repeat(101), false],
    ['-staff', false],
    ['Staff', false],
    ['st aff', false],
    ['st_aff', false],
    ['', false],
    [7, false],
  ])('name %j valid: %s', (name, ok) => {
    expect(accessNameProblem(name) === null).toBe(ok);
  });

  it.each<[unknown, boolean]>([
    [{ en: ['Staff'] }, true],
    [{ none: ['x'], 'en-GB': ['a', 'b'], 'zh-Hant-TW': ['y'] }, true],
    [{}, false],
    [[], false],
    ['Staff', false],
    [null, false],
    [{ en: 'Staff' }, false],
    [{ en: [] }, false],
    [{ en: [''] }, false],
    [{ en: ['  '] }, false],
    [{ en: [1] }, false],
    [{ 'e n': ['x'] }, false],
    [{ en: ['a\u0000'] }, false],
    [{ en: ['x'.repeat(2001)] }, false],
    [
      Object.fromEntries(
        Array.from({ length: 21 }, (_, i) => [`l${'a'.repeat(1)}${String.fromCharCode(97 + i)}`, ['x']]),
      ),
      false,
    ],
  ])('language map %j valid: %s', (map, ok) => {
    expect(languageMapProblem(map) === null).toBe(ok);
  });

  it('references: a bare name, or a URL of any host ending /customers/{id or name}/{collection}/{name}', () => {
    const acme = { id: 7, name: 'acme' };
    expect(refName('staff', 'roles', acme)).toBe('staff');
    expect(refName('https://api.example.org/customers/7/roles/staff', 'roles', acme)).toBe('staff');
    expect(refName('http://127.0.0.1:3000/customers/acme/roles/staff', 'roles', acme)).toBe('staff');
    expect(refName('https://x.example/prefix/customers/7/accessServices/login', 'accessServices', acme)).toBe(
      'login',
    );
    expect(refName('https://api.example.org/customers/8/roles/staff', 'roles', acme)).toBeNull();
    expect(refName('https://api.example.org/customers/7/accessServices/staff', 'roles', acme)).toBeNull();
    expect(refName('https://api.example.org/customers/7/roles/Staff', 'roles', acme)).toBeNull();
    expect(refName('ftp://api.example.org/customers/7/roles/staff', 'roles', acme)).toBeNull();
    expect(refName('not a name', 'roles', acme)).toBeNull();
    expect(refName(3, 'roles', acme)).toBeNull();
  });

  it('OIDC issuers: https, or http on loopback', () => {
    expect(issuerProblem('https://login.example.org/realms/x')).toBeNull();
    expect(issuerProblem('http://127.0.0.1:8080')).toBeNull();
    expect(issuerProblem('http://localhost:8080')).toBeNull();
    expect(issuerProblem('http://login.example.org')).toMatch(/https/);
    expect(issuerProblem('https://login.example.org/?x=1')).toMatch(/query/);
    expect(issuerProblem('nope')).toMatch(/absolute URL/);
  });

  it('role mappings: claim values to lists of role references', () => {
    expect(roleMappingProblem({ staff: ['staff'], '*': [] })).toBeNull();
    expect(roleMappingProblem([])).not.toBeNull();
    expect(roleMappingProblem({ staff: 'staff' })).not.toBeNull();
    expect(roleMappingProblem({ staff: [''] })).not.toBeNull();
    expect(roleMappingProblem({ '': ['x'] })).not.toBeNull();
  });

  it('the user body: password ≥ 8 characters, roles a list', () => {
    expect(checkBody(UserBodyDto, { username: 'a', password: '12345678' }).errors).toEqual([]);
    expect(checkBody(UserBodyDto, { username: 'a', password: '1234567' }).errors.map((e) => e.field)).toEqual(
      ['password'],
    );
    expect(
      checkBody(UserBodyDto, { username: '', password: '12345678', roles: 'x' })
        .errors.map((e) => e.field)
        .sort(),
    ).toEqual(['roles', 'username']);
  });
});
