import { describe, expect, it } from 'vitest';
import { DomainError } from './errors.js';
import { checkPasswordStrength, isTeamRole, roleScopes, teamRoles } from './roles.js';
import { apiScopes, hasScope } from './scopes.js';

const grants = (role: keyof typeof roleScopes) => apiScopes.filter((scope) => hasScope(roleScopes[role], scope));

describe('roles', () => {
  it('an owner holds every scope, including ones added later', () => {
    expect(roleScopes.owner).toEqual(['*']);
    expect(grants('owner')).toEqual([...apiScopes]);
  });

  it('a manager holds everything but the team, the keys, the audit log and the portal secrets', () => {
    const denied = apiScopes.filter((scope) => !grants('manager').includes(scope));
    expect(denied.sort()).toEqual(['audit:read', 'keys:write', 'portal:write', 'team:write']);
  });

  it('support looks members up, adjusts, redeems, reviews referrals and fraud, and reads the catalogue', () => {
    expect([...grants('support')].sort()).toEqual(
      [
        'coupons:write', 'fraud:read', 'fraud:write', 'members:read', 'members:write', 'redemptions:write',
        'referrals:read', 'referrals:review', 'rewards:read', 'rules:read', 'tiers:read',
      ].sort(),
    );
    expect(hasScope(roleScopes.support, 'rules:write')).toBe(false);
    expect(hasScope(roleScopes.support, 'team:write')).toBe(false);
  });

  it('an analyst reads everything but the audit log and writes nothing', () => {
    const analyst = grants('analyst');
    expect(analyst).toContain('analytics:read');
    expect(analyst).toContain('webhooks:read');
    expect(analyst).not.toContain('audit:read');
    expect(analyst.every((scope) => scope.endsWith(':read'))).toBe(true);
    expect(analyst).toHaveLength(apiScopes.filter((s) => s.endsWith(':read')).length - 1);
  });

  it('knows its four roles', () => {
    expect(teamRoles).toEqual(['owner', 'manager', 'support', 'analyst']);
    expect(isTeamRole('manager')).toBe(true);
    expect(isTeamRole('admin')).toBe(false);
  });
});

describe('password policy', () => {
  const refusal = (password: string) => {
    try {
      checkPasswordStrength(password, '/password');
      return null;
    } catch (error) {
      return error as DomainError;
    }
  };

  it('accepts a long, uncommon password', () => {
    expect(refusal('paard-fiets-molen-kaas')).toBeNull();
    expect(refusal('twelve chars')).toBeNull();
  });

  it('refuses fewer than 12 characters, naming the field', () => {
    const error = refusal('short-pass1');
    expect(error).toBeInstanceOf(DomainError);
    expect(error?.code).toBe('weak_password');
    expect(error?.errors).toEqual([{ pointer: '/password', detail: expect.stringContaining('12 characters') as string }]);
  });

  it('counts characters, not bytes', () => {
    expect(refusal('ééééééééééé')?.code).toBe('weak_password');
    expect(refusal('éééééééééééé')).toBeNull();
  });

  it('refuses the most common passwords whatever their case', () => {
    expect(refusal('password1234')?.code).toBe('weak_password');
    expect(refusal('Password1234')?.code).toBe('weak_password');
    expect(refusal('QWERTY123456')?.code).toBe('weak_password');
  });
});
