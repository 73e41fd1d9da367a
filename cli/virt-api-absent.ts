/**
 * start, stop, restart, pause, unpause, soft-reboot and console go through the aggregated API
 * that virt-api serves. When virt-api is missing, the API server's answer names neither: a bare
 * "404 page not found" when no APIService is registered, a 503 when it is registered but nothing
 * answers behind it. This module turns those two answers into one that says what is missing and
 * how to check it. Pure, except for the wrapper that rethrows.
 */
import { APISERVICE_NAME } from '../api/subresources.js';
import { toApiError, type ApiError } from '../kube/errors.js';
import { CommandFailure } from './errors.js';

/** The text kube-apiserver's mux writes for a path no handler serves: not a metav1.Status. */
const NO_ROUTE = '404 page not found';

/** When `e` says virt-api is absent: the message and the hint a user should read instead. */
export function virtApiAbsence(e: ApiError): Readonly<{ message: string; fix: string }> | undefined {
  const check = `check \`kubectl get apiservice ${APISERVICE_NAME}\``;
  if (e.code === 404 && e.message === NO_ROUTE)
    return {
      message: `virt-api is not installed: the API server has no ${APISERVICE_NAME} APIService (it answered "${NO_ROUTE}")`,
      fix: `deploy virt-api (cluster/sync.sh on the local cluster, or manifests/virt-api.yaml), then ${check}`,
    };
  if (e.code === 503)
    return {
      message: `virt-api is not answering: the API server could not reach it (${e.message})`,
      fix: `${check} (its Available condition says why) and the virt-api Pods in tsvirt-system`,
    };
  return undefined;
}

/** Runs a request on a subresources.tsvirt.io path; an answer meaning "no virt-api" becomes one that says so. */
export async function throughVirtApi<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const absent = virtApiAbsence(toApiError(err));
    if (absent === undefined) throw err;
    throw new CommandFailure(absent.message, absent.fix);
  }
}
