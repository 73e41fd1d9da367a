import { apiErrorFromStatus, KubeApiError } from '../../../kube/errors.js';
import { KubeConfigError } from '../../../kube/kubeconfig-error.js';
import { CommandFailure, reportError, UsageError } from '../../../cli/errors.js';

const status = (code: number, reason: string, message: string, causes: object[] = []): KubeApiError =>
  new KubeApiError(
    apiErrorFromStatus(
      code,
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        code,
        reason,
        message,
        details: { causes },
      }),
    ),
  );

describe('reportError', () => {
  it('prints not found as kubectl does, exit 1', () => {
    expect(reportError(status(404, 'NotFound', 'virtualmachines.tsvirt.io "web" not found'), false)).toEqual({
      lines: ['Error from server (NotFound): virtualmachines.tsvirt.io "web" not found'],
      exitCode: 1,
    });
  });

  it("prints forbidden with the server's words, exit 1", () => {
    const r = reportError(
      status(
        403,
        'Forbidden',
        'virtualmachines.tsvirt.io is forbidden: User "bob" cannot list resource "virtualmachines"',
      ),
      false,
    );
    expect(r.lines).toEqual([
      'Error from server (Forbidden): virtualmachines.tsvirt.io is forbidden: User "bob" cannot list resource "virtualmachines"',
    ]);
    expect(r.exitCode).toBe(1);
  });

  it("prints a ValidatingAdmissionPolicy's denial as the field it names and the fix, exit 1", () => {
    // The body kube-apiserver v1.36 answers for api/host-path-policy.ts, as captured.
    const denial =
      "ValidatingAdmissionPolicy 'tsvirt-host-paths' with binding 'tsvirt-host-paths' denied request: spec.template.spec.volumes[0].hostDisk.path: /etc/shadow is outside the host disk roots (/var/lib/tsvirt/disks/); put the disk under one of them (hostDiskRoots in ConfigMap tsvirt-system/tsvirt-config)";
    const r = reportError(
      status(422, 'Invalid', `virtualmachines.tsvirt.io "good" is forbidden: ${denial}`, [{ message: denial }]),
      false,
    );
    expect(r).toEqual({
      lines: [
        'error: virtualmachines.tsvirt.io "good" is invalid (admission policy tsvirt-host-paths):',
        '  spec.template.spec.volumes[0].hostDisk.path: /etc/shadow is outside the host disk roots (/var/lib/tsvirt/disks/); put the disk under one of them (hostDiskRoots in ConfigMap tsvirt-system/tsvirt-config)',
      ],
      exitCode: 1,
    });
  });

  it('prints an invalid spec as one "field: problem" line per cause', () => {
    const err = status(
      422,
      'Invalid',
      'VirtualMachine.tsvirt.io "web" is invalid: [spec.runStrategy: Unsupported value: "Sometimes", spec.template.spec.domain.memory.guest: Invalid value: "2Gb"]',
      [
        {
          field: 'spec.runStrategy',
          message: 'Unsupported value: "Sometimes": supported values: "Always", "Halted"',
          reason: 'FieldValueNotSupported',
        },
        {
          field: 'spec.template.spec.domain.memory.guest',
          message: 'Invalid value: "2Gb": must be a quantity such as 2Gi',
          reason: 'FieldValueInvalid',
        },
      ],
    );
    expect(reportError(err, false)).toEqual({
      lines: [
        'error: VirtualMachine.tsvirt.io "web" is invalid:',
        '  spec.runStrategy: Unsupported value: "Sometimes": supported values: "Always", "Halted"',
        '  spec.template.spec.domain.memory.guest: Invalid value: "2Gb": must be a quantity such as 2Gi',
      ],
      exitCode: 1,
    });
  });

  it('says no cluster is reachable, with a hint, exit 1', () => {
    const err = new KubeApiError({
      code: 0,
      reason: 'ConnectionRefused',
      message: 'Could not reach the API server at https://127.0.0.1:1: ECONNREFUSED',
      causes: [],
      retryable: true,
    });
    expect(reportError(err, false)).toEqual({
      lines: [
        'error: no cluster reachable: Could not reach the API server at https://127.0.0.1:1: ECONNREFUSED',
        'hint: is the cluster running? Check --kubeconfig, --context and KUBECONFIG',
      ],
      exitCode: 1,
    });
  });

  it('maps usage errors to exit 2 with their hint', () => {
    expect(
      reportError(
        new UsageError('--memory "2Gb" is not a quantity', 'Use a Kubernetes quantity such as 2Gi or 512Mi.'),
        false,
      ),
    ).toEqual({
      lines: ['error: --memory "2Gb" is not a quantity', 'hint: Use a Kubernetes quantity such as 2Gi or 512Mi.'],
      exitCode: 2,
    });
  });

  it('maps kubeconfig problems and command failures to exit 1', () => {
    expect(reportError(new KubeConfigError('context "x" does not exist in /k'), false)).toEqual({
      lines: ['error: context "x" does not exist in /k'],
      exitCode: 1,
    });
    expect(reportError(new CommandFailure('timed out'), false).exitCode).toBe(1);
  });

  it('shows a stack only with --verbose', () => {
    const bug = new Error('boom');
    expect(reportError(bug, false).lines).toEqual(['error: boom']);
    expect(reportError(bug, true).lines[1]).toContain('at ');
  });
});
