import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tenantConsumerName, tenantConsumerPrefix, tenantSubjects } from '../../../src/adapters/nats/tenant-consumers';

describe('per-tenant NATS consumer names and subjects', () => {
  it('names a consumer after the group and the tenant, with only name-safe characters', () => {
    assert.equal(tenantConsumerName('executor-service', 'acme'), 'executor-service_t_acme');
    assert.equal(tenantConsumerName('exec.group', 'a b'), 'exec_group_t_a_20b');
    for (const tenant of ['acme', 'a.b', 'a*b', 'a>b', 'é', 'a b', '']) assert.match(tenantConsumerName('g', tenant), /^[A-Za-z0-9_-]+$/);
    assert.ok(tenantConsumerName('g', 'x').startsWith(tenantConsumerPrefix('g')));
  });

  it('gives different tenants different names (the underscore and the escape do not collide)', () => {
    const tenants = ['a_20b', 'a b', 'a_b', 'a%b', 'a__b', 'a_', 'a%5F', '_', '%'];
    const names = tenants.map((t) => tenantConsumerName('g', t));
    assert.equal(new Set(names).size, tenants.length, names.join(' '));
  });

  it("filters on one tenant's workflow subjects, the tenant encoded as one token", () => {
    assert.equal(tenantSubjects('flunq', 'acme'), 'flunq.tenant.acme.workflow.*.events');
    assert.equal(tenantSubjects('flunq', 'a.b*'), 'flunq.tenant.a%2Eb%2A.workflow.*.events');
  });
});
