import { Injectable } from '@nestjs/common';
import { Links } from '../http/links.service';
import { validationProblem, type FieldError } from '../http/problems';
import { accessNameProblem } from './access-control';
import { RolesRepository } from './roles.repository';

/** One list of role references to resolve, and the field its errors name (`roles`, `member[2].roles`...). */
export interface RoleRefList {
  field: string;
  values: readonly string[];
}

/** `/customers/{c}/roles/{name}` at the end of a URL path. */
const ROLE_PATH = /\/customers\/([^/]+)\/roles\/([^/]+)$/;

/**
 * Role references (issue 10 contract "Roles are stored by NAME"): what assets (`roles`), spaces (`defaultRoles`),
 * custom headers (`role`), users (`roles`) and OIDC role mappings accept on input, a bare role name or a role URI
 * of any host whose path ends `/customers/{c}/roles/{name}` (`c` this customer's id or name), resolved to the
 * stored names; and how they are rendered (`{api}/customers/{c}/roles/{name}`).
 */
@Injectable()
export class RoleRefs {
  constructor(
    private readonly roles: RolesRepository,
    private readonly links: Links,
  ) {}

  /** The URI a stored role name is rendered as. */
  uri(customerId: number, name: string): string {
    return this.links.role(customerId, name);
  }

  /** The URIs of stored role names. */
  uris(customerId: number, names: readonly string[] | null | undefined): string[] {
    return (names ?? []).map((n) => this.uri(customerId, n));
  }

  /**
   * Resolves every list to role names with one database query, whatever the number of lists and roles.
   * @returns the names of each list (same order, duplicates dropped) and one error per unresolvable reference
   *   (malformed, another customer's, or a role the customer does not have: the message names it).
   */
  async resolveAll(
    customerId: number,
    lists: readonly RoleRefList[],
  ): Promise<{ names: string[][]; errors: FieldError[] }> {
    const parsed = lists.map((l) => l.values.map((v) => this.parse(v)));
    const wanted = [...new Set(parsed.flat().flatMap((p) => (p ? [p.name] : [])))];
    const known = wanted.length
      ? await this.roles.known(customerId, wanted)
      : { customer: '', roles: new Set<string>() };
    const errors: FieldError[] = [];
    const names = lists.map((l, i) => {
      const out: string[] = [];
      l.values.forEach((v, j) => {
        const p = parsed[i][j];
        const shown = String(v).slice(0, 200);
        if (
          !p ||
          (p.customer !== undefined && p.customer !== String(customerId) && p.customer !== known?.customer)
        )
          errors.push({
            field: l.field,
            message: `"${shown}" is not a role of this customer: give a role name or ${this.uri(customerId, '{name}')}`,
          });
        else if (!known?.roles.has(p.name))
          errors.push({
            field: l.field,
            message: `there is no role "${p.name}" for this customer (create it at ${this.links.roles(customerId)})`,
          });
        else if (!out.includes(p.name)) out.push(p.name);
      });
      return out;
    });
    return { names, errors };
  }

  /** Resolves one list. @throws 400 naming `field` and every unknown role. */
  async resolve(customerId: number, field: string, values: readonly string[]): Promise<string[]> {
    if (!values.length) return [];
    const { names, errors } = await this.resolveAll(customerId, [{ field, values }]);
    if (errors.length) throw validationProblem(errors);
    return names[0];
  }

  /** A reference's role name and, for a URI, its customer segment; null when it is neither form. */
  private parse(value: unknown): { name: string; customer?: string } | null {
    if (typeof value !== 'string') return null;
    if (accessNameProblem(value) === null) return { name: value };
    let path: string;
    try {
      const u = new URL(value);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
      path = u.pathname;
    } catch {
      return null;
    }
    const m = ROLE_PATH.exec(path);
    if (!m) return null;
    try {
      const name = decodeURIComponent(m[2]);
      return accessNameProblem(name) === null ? { name, customer: decodeURIComponent(m[1]) } : null;
    } catch {
      return null;
    }
  }
}
