import {
  KubeApiError,
  apiErrorFromStatus,
  formatApiError,
  isAlreadyExists,
  isConflict,
  isGone,
  isNotFound,
  toApiError,
} from '../../../kube/errors.js';

const invalidStatus = JSON.stringify({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  message: 'VirtualMachine.tsvirt.io "web" is invalid: spec.runStrategy: Unsupported value: "Sometimes"',
  reason: 'Invalid',
  details: {
    name: 'web',
    group: 'tsvirt.io',
    kind: 'VirtualMachine',
    causes: [
      { reason: 'FieldValueNotSupported', message: 'Unsupported value: "Sometimes"', field: 'spec.runStrategy' },
    ],
  },
  code: 422,
});

/** client-node 2's ApiException, as its generated code builds it: headers in the message. */
function apiException(
  code: number,
  body: unknown,
): Error & { code: number; body: unknown; headers: Record<string, string> } {
  const headers = { 'audit-id': 'secret-ish', 'content-type': 'application/json' };
  return Object.assign(
    new Error(
      `HTTP-Code: ${code}\nMessage: Unknown API Status Code!\nBody: ${JSON.stringify(body)}\nHeaders: ${JSON.stringify(headers)}`,
    ),
    {
      code,
      body,
      headers,
    },
  );
}

describe('toApiError', () => {
  it('maps a 422 Status body to reason, message and field causes without headers', () => {
    const e = toApiError(apiException(422, invalidStatus));
    expect(e).toEqual({
      code: 422,
      reason: 'Invalid',
      message: 'VirtualMachine.tsvirt.io "web" is invalid: spec.runStrategy: Unsupported value: "Sometimes"',
      causes: [
        { field: 'spec.runStrategy', message: 'Unsupported value: "Sometimes"', reason: 'FieldValueNotSupported' },
      ],
      retryable: false,
    });
    expect(e.message).not.toContain('audit-id');
  });

  it.each([
    [409, 'Conflict', true],
    [409, 'AlreadyExists', false],
    [429, 'TooManyRequests', true],
    [500, 'InternalError', true],
    [503, 'ServiceUnavailable', true],
    [504, 'Timeout', true],
    [404, 'NotFound', false],
    [403, 'Forbidden', false],
    [422, 'Invalid', false],
    [410, 'Expired', false],
  ])('treats %i %s as retryable=%s', (code, reason, retryable) => {
    expect(
      toApiError(apiException(code, JSON.stringify({ kind: 'Status', code, reason, message: 'm' }))).retryable,
    ).toBe(retryable);
  });

  it('fills in the reason and a message when the body is empty (401 has no body)', () => {
    expect(toApiError(apiException(401, undefined))).toMatchObject({
      code: 401,
      reason: 'Unauthorized',
      message: 'The API server answered 401 Unauthorized',
    });
  });

  it('keeps a plain-text body as the message', () => {
    expect(toApiError(apiException(503, 'service unavailable\n'))).toMatchObject({
      code: 503,
      message: 'service unavailable',
      retryable: true,
    });
  });

  it('maps a refused connection wrapped by fetch to a retryable ConnectionRefused', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), {
      code: 'ECONNREFUSED',
      address: '127.0.0.1',
      port: 6443,
    });
    const e = toApiError(new TypeError('fetch failed', { cause }));
    expect(e).toMatchObject({ code: 0, reason: 'ConnectionRefused', retryable: true });
    expect(e.message).toBe('Could not reach the API server (127.0.0.1:6443): ECONNREFUSED');
  });

  it('maps timeouts and aborts to a retryable Timeout', () => {
    expect(toApiError(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))).toMatchObject({
      reason: 'Timeout',
      retryable: true,
    });
  });

  it('passes a KubeApiError through and keeps only the message of anything else', () => {
    const mapped = apiErrorFromStatus(
      404,
      '{"kind":"Status","reason":"NotFound","message":"pods \\"x\\" not found","code":404}',
    );
    expect(toApiError(new KubeApiError(mapped))).toBe(mapped);
    expect(toApiError(new Error('odd'))).toEqual({
      code: 0,
      reason: 'Unknown',
      message: 'odd',
      causes: [],
      retryable: false,
    });
  });
});

describe('error predicates', () => {
  const of = (code: number, reason: string) =>
    new KubeApiError(apiErrorFromStatus(code, JSON.stringify({ code, reason, message: reason })));

  it('tells NotFound, Conflict, AlreadyExists and Gone apart', () => {
    expect(isNotFound(of(404, 'NotFound'))).toBe(true);
    expect(isConflict(of(409, 'Conflict'))).toBe(true);
    expect(isConflict(of(409, 'AlreadyExists'))).toBe(false);
    expect(isAlreadyExists(of(409, 'AlreadyExists'))).toBe(true);
    expect(isGone(of(410, 'Expired'))).toBe(true);
    expect(isGone(of(404, 'NotFound'))).toBe(false);
  });
});

describe('formatApiError', () => {
  it('appends causes the message does not already name', () => {
    const e = apiErrorFromStatus(
      422,
      JSON.stringify({
        reason: 'Invalid',
        message: 'VM is invalid',
        details: { causes: [{ field: 'spec.template', message: 'Required value' }] },
      }),
    );
    expect(formatApiError(e)).toBe('VM is invalid (spec.template: Required value)');
    expect(formatApiError(toApiError(apiException(422, invalidStatus)))).toBe(
      'VirtualMachine.tsvirt.io "web" is invalid: spec.runStrategy: Unsupported value: "Sometimes"',
    );
  });
});
