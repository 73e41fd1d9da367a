import { authenticate, requestHeaderConfig } from '../../../virt-api/front-proxy.js';

const config = requestHeaderConfig({
  'requestheader-client-ca-file': '-----BEGIN CERTIFICATE-----',
  'requestheader-allowed-names': '["front-proxy-client"]',
  'requestheader-username-headers': '["X-Remote-User"]',
  'requestheader-group-headers': '["X-Remote-Group"]',
  'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
});
const proxy = { verified: true, commonName: 'front-proxy-client' };

describe('authenticate', () => {
  it('takes the user, every group and the extras the front proxy names', () => {
    const headers = {
      'x-remote-user': ['alice'],
      'x-remote-group': ['dev', 'system:authenticated'],
      'x-remote-extra-scopes%2Fone': ['a'],
    };
    expect(authenticate(proxy, headers, config)).toEqual({
      ok: true,
      user: { user: 'alice', groups: ['dev', 'system:authenticated'], extra: { 'scopes/one': ['a'] } },
    });
  });

  it('refuses headers without a verified front-proxy certificate, whatever they claim', () => {
    const r = authenticate({ verified: false, commonName: undefined }, { 'x-remote-user': ['admin'] }, config);
    expect(r).toEqual({ ok: false, message: expect.stringContaining('through kube-apiserver') as unknown });
  });

  it('refuses a certificate of the CA whose CN is not an allowed front proxy, and a request naming no user', () => {
    expect(authenticate({ verified: true, commonName: 'mallory' }, { 'x-remote-user': ['a'] }, config).ok).toBe(false);
    expect(authenticate(proxy, {}, config)).toEqual({ ok: false, message: 'the front proxy named no user' });
  });

  it('says what to fix when the API server publishes no requestheader CA', () => {
    expect(() => requestHeaderConfig({})).toThrow('--requestheader-client-ca-file');
  });
});
