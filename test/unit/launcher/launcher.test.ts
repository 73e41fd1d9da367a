import { configFromEnv } from '../../../launcher/launcher.js';

describe('configFromEnv', () => {
  it('reads the VMI identity and the handler socket from the Pod environment', () => {
    expect(
      configFromEnv(
        {
          VMI_NAME: 'web',
          VMI_NAMESPACE: 'ns',
          VMI_UID: 'u1',
          TSVIRT_HANDLER_SOCKET: '/run/tsvirt/handler.sock',
          TSVIRT_GRACE_SECONDS: '5',
        },
        undefined,
      ),
    ).toEqual({
      socketPath: '/run/tsvirt/handler.sock',
      vmi: { name: 'web', namespace: 'ns', uid: 'u1' },
      graceSeconds: 5,
    });
  });

  it('takes the namespace from POD_NAMESPACE and the socket from --handler-socket', () => {
    const config = configFromEnv(
      { VMI_NAME: 'web', POD_NAMESPACE: 'ns', VMI_UID: 'u1', TSVIRT_HANDLER_SOCKET: '/env.sock' },
      '/flag.sock',
    );
    expect(config).toEqual({
      socketPath: '/flag.sock',
      vmi: { name: 'web', namespace: 'ns', uid: 'u1' },
      graceSeconds: 30,
    });
  });

  it('names everything that is missing', () => {
    expect(configFromEnv({ VMI_NAME: 'web', VMI_UID: '' }, undefined)).toBe(
      'virt-launcher: missing VMI_NAMESPACE, VMI_UID, TSVIRT_HANDLER_SOCKET (or --handler-socket)',
    );
  });

  it('falls back to 30 s for a grace period that is not a number', () => {
    const config = configFromEnv(
      { VMI_NAME: 'a', VMI_NAMESPACE: 'b', VMI_UID: 'c', TSVIRT_HANDLER_SOCKET: '/s', TSVIRT_GRACE_SECONDS: 'soon' },
      undefined,
    );
    expect(typeof config === 'string' ? config : config.graceSeconds).toBe(30);
  });
});
