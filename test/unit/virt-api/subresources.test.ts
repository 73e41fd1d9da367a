import { handlerPath, parseHandlerPath, parseVerbOptions, subresourcePath } from '../../../api/subresources.js';
import { accessReview, forbiddenMessage } from '../../../virt-api/access-review.js';
import { statusBody } from '../../../virt-api/server.js';

describe('subresources', () => {
  it('reads stop options as KubeVirt writes them, and names the field and the fix when wrong', () => {
    expect(parseVerbOptions('stop', { gracePeriod: 0, dryRun: ['All'] })).toEqual({
      ok: true,
      value: { gracePeriod: 0, dryRun: ['All'] },
    });
    expect(parseVerbOptions('start', undefined)).toEqual({ ok: true, value: {} });
    expect(parseVerbOptions('stop', { gracePeriod: -1 })).toEqual({
      ok: false,
      message: expect.stringContaining('gracePeriod must be a whole number') as unknown,
    });
    expect(parseVerbOptions('restart', { gracePeriod: 1 })).toMatchObject({ ok: false });
    expect(parseVerbOptions('start', { dryRun: ['Some'] })).toMatchObject({ ok: false });
    expect(parseVerbOptions('start', [1])).toMatchObject({ ok: false });
  });

  it('builds and parses the handler path, and rejects any other', () => {
    const path = handlerPath('ns', 'web', 'console');
    expect(parseHandlerPath(path)).toEqual({ namespace: 'ns', name: 'web', action: 'console' });
    expect(parseHandlerPath('/v1/namespaces/ns/virtualmachineinstances/web/start')).toBeUndefined();
    expect(parseHandlerPath('/v1/namespaces/ns/pods/web/pause')).toBeUndefined();
    expect(subresourcePath('virtualmachines', 'ns', 'web', 'start')).toBe(
      '/apis/subresources.tsvirt.io/v1alpha1/namespaces/ns/virtualmachines/web/start',
    );
  });

  it('asks the review on the subresource, and answers as kube-apiserver words a 403', () => {
    const user = { user: 'viewer', groups: ['system:authenticated'], extra: {} };
    const attrs = {
      namespace: 'ns',
      verb: 'update',
      resource: 'virtualmachines',
      subresource: 'start',
      name: 'web',
    } as const;
    expect(accessReview(user, attrs)).toMatchObject({
      spec: {
        user: 'viewer',
        resourceAttributes: { group: 'subresources.tsvirt.io', version: 'v1alpha1', subresource: 'start' },
      },
    });
    expect(forbiddenMessage(user, attrs)).toBe(
      'virtualmachines.subresources.tsvirt.io "web" is forbidden: User "viewer" cannot update resource "virtualmachines/start" in API group "subresources.tsvirt.io" in the namespace "ns"',
    );
    expect(statusBody({ code: 409, message: 'VM is already running' })).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Conflict',
      code: 409,
    });
  });
});
