import { describe, expect, it } from 'vitest';
import { actorOf, userOf, type TrainingAudit } from './TrainingPage';

const audit = (user: string | null, details: Partial<TrainingAudit['details']>): TrainingAudit => ({
  event_id: 'e-1',
  action: 'training.enabled',
  user,
  timestamp: '2026-12-06T19:00:00Z',
  details: { reason: null, rejection: null, previous_lock: null, current_lock: null, ...details },
});

describe('userOf', () => {
  it("should name a user of the tenant shown by name, and another tenant's with its tenant", () => {
    expect(userOf('carol', 'acme', 'acme')).toBe('carol');
    expect(userOf('admin', 'platform', 'acme')).toBe('admin (platform)');
    expect(userOf('carol', null, 'acme')).toBe('carol');
    expect(userOf(null, null, 'acme')).toBe('—');
  });
});

describe('actorOf', () => {
  it('should show who sent a command that acted as someone else', () => {
    const asCarol = audit('carol', { user_tenant: 'acme', caller: 'admin', caller_tenant: 'platform' });
    expect(actorOf(asCarol, 'acme')).toBe('carol, sent by admin (platform)');
  });

  it('should show only the user when the user sent it, or when the record predates the caller', () => {
    expect(actorOf(audit('dana', { user_tenant: 'acme', caller: 'dana', caller_tenant: 'acme' }), 'acme')).toBe('dana');
    expect(actorOf(audit('dana', {}), 'acme')).toBe('dana');
    expect(actorOf(audit(null, {}), 'acme')).toBe('—');
  });

  it("should tell a tenant's user from another tenant's user of the same name", () => {
    const operator = audit('admin', { user_tenant: 'platform', caller: 'admin', caller_tenant: 'platform' });
    expect(actorOf(operator, 'acme')).toBe('admin (platform)');
  });
});
