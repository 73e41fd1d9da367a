/**
 * Authorisation: one SubjectAccessReview per request, on the subresource it touches
 * (`update virtualmachines/start`, `get virtualmachineinstances/console` in subresources.tsvirt.io),
 * so RBAC can grant "may start" without "may edit". The review body is pure; sending it is one
 * request through kube/.
 */
import { SUBRESOURCES_GROUP } from '../api/names.js';
import { SUBRESOURCES_VERSION } from '../api/subresources.js';
import type { KubeClients } from '../kube/clients.js';
import type { ProxiedUser } from './front-proxy.js';

export type ResourceAttributes = Readonly<{
  namespace: string;
  verb: 'get' | 'update';
  resource: string;
  subresource: string;
  name: string;
}>;

/** The authorization.k8s.io/v1 SubjectAccessReview for `user` doing `attrs`. Pure. */
export function accessReview(user: ProxiedUser, attrs: ResourceAttributes): unknown {
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: user.user,
      groups: user.groups,
      extra: user.extra,
      resourceAttributes: { ...attrs, group: SUBRESOURCES_GROUP, version: SUBRESOURCES_VERSION },
    },
  };
}

export type Decision = Readonly<{ allowed: boolean; reason: string }>;

/** Asks the API server. Throws KubeApiError when it cannot answer (then nobody is allowed). */
export async function review(clients: KubeClients, user: ProxiedUser, attrs: ResourceAttributes): Promise<Decision> {
  const answer = await clients.request<{ status?: { allowed?: boolean; reason?: string } }>({
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    body: accessReview(user, attrs),
  });
  return { allowed: answer?.status?.allowed === true, reason: answer?.status?.reason ?? '' };
}

/** A 403 message in kube-apiserver's words, so users recognise it. Pure. */
export function forbiddenMessage(user: ProxiedUser, attrs: ResourceAttributes): string {
  return `${attrs.resource}.${SUBRESOURCES_GROUP} "${attrs.name}" is forbidden: User "${user.user}" cannot ${attrs.verb} resource "${attrs.resource}/${attrs.subresource}" in API group "${SUBRESOURCES_GROUP}" in the namespace "${attrs.namespace}"`;
}
