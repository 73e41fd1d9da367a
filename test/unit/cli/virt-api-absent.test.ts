import { APISERVICE_NAME } from '../../../api/subresources.js';
import { CommandFailure, reportError } from '../../../cli/errors.js';
import { throughVirtApi, virtApiAbsence } from '../../../cli/virt-api-absent.js';
import { apiErrorFromStatus, KubeApiError } from '../../../kube/errors.js';

const notFoundStatus = JSON.stringify({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  reason: 'NotFound',
  code: 404,
  message: 'virtualmachines.tsvirt.io "vm1" not found',
});

describe('virtApiAbsence', () => {
  it('names a missing APIService for the mux 404 that carries no Status', () => {
    const absent = virtApiAbsence(apiErrorFromStatus(404, '404 page not found\n'));
    expect(absent?.message).toBe(
      `virt-api is not installed: the API server has no ${APISERVICE_NAME} APIService (it answered "404 page not found")`,
    );
    expect(absent?.fix).toContain(`kubectl get apiservice ${APISERVICE_NAME}`);
  });

  it('names an unreachable virt-api for a 503, keeping the server words', () => {
    const absent = virtApiAbsence(apiErrorFromStatus(503, 'service unavailable\n'));
    expect(absent?.message).toBe('virt-api is not answering: the API server could not reach it (service unavailable)');
  });

  it("leaves virt-api's own answers alone: a VM that is not there, a 409, a 403", () => {
    expect(virtApiAbsence(apiErrorFromStatus(404, notFoundStatus))).toBeUndefined();
    expect(virtApiAbsence(apiErrorFromStatus(409, '{"message":"VM is already running","code":409}'))).toBeUndefined();
    expect(virtApiAbsence(apiErrorFromStatus(403, '{"message":"forbidden","code":403}'))).toBeUndefined();
  });
});

describe('throughVirtApi', () => {
  it('turns the absence into a CommandFailure whose report carries the hint', async () => {
    const call = (): Promise<never> => Promise.reject(new KubeApiError(apiErrorFromStatus(404, '404 page not found')));
    const err = await throughVirtApi(call).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandFailure);
    const report = reportError(err, false);
    expect(report.lines[0]).toMatch(/^error: virt-api is not installed/);
    expect(report.lines[1]).toMatch(/^hint: deploy virt-api/);
    expect(report.exitCode).toBe(1);
  });

  it('rethrows any other error unchanged and passes a result through', async () => {
    const original = new KubeApiError(apiErrorFromStatus(404, notFoundStatus));
    await expect(throughVirtApi(() => Promise.reject(original))).rejects.toBe(original);
    await expect(throughVirtApi(() => Promise.resolve(7))).resolves.toBe(7);
  });
});
