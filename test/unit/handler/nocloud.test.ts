import {
  NETWORK_DATA_KEYS,
  NoCloudError,
  noCloudFiles,
  noCloudSecretRefs,
  renderMetaData,
  secretValue,
  USER_DATA_KEYS,
  withSecretData,
} from '../../../handler/cloudinit/nocloud.js';

const UID = '6f1b2c3d-0000-4000-8000-000000000009';

describe('noCloudFiles', () => {
  it('writes instance-id as the VMI uid and local-hostname as the VM name', () => {
    expect(noCloudFiles({ userData: '#cloud-config\n' }, UID, 'debian')).toEqual({
      'user-data': '#cloud-config\n',
      'meta-data': `instance-id: "${UID}"\nlocal-hostname: "debian"\n`,
    });
  });

  it('decodes base64 user data and network config and adds network-config only when given', () => {
    const files = noCloudFiles(
      {
        userDataBase64: Buffer.from('#!/bin/sh\necho hi\n').toString('base64'),
        networkDataBase64: Buffer.from('version: 2\n').toString('base64'),
      },
      UID,
      'web',
    );
    expect(files['user-data']).toBe('#!/bin/sh\necho hi\n');
    expect(files['network-config']).toBe('version: 2\n');
    expect(noCloudFiles({ networkData: 'version: 1\n' }, UID, 'web')).toMatchObject({
      'user-data': '',
      'network-config': 'version: 1\n',
    });
  });

  it.each([
    [{ userData: 'a', userDataBase64: 'YQ==' }, 'userDataBase64', 'set userData or userDataBase64, not both'],
    [
      { networkData: 'a', networkDataBase64: 'YQ==' },
      'networkDataBase64',
      'set networkData or networkDataBase64, not both',
    ],
    [{ userDataBase64: '%%%' }, 'userDataBase64', 'is not base64'],
  ])('refuses %j naming the field', (source, field, message) => {
    let caught: unknown;
    try {
      noCloudFiles(source, UID, 'x');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(NoCloudError);
    expect(caught).toMatchObject({ field, message });
  });

  it('quotes meta-data values, so a hostname cannot add YAML keys', () => {
    expect(renderMetaData('u', 'a\nb: c')).toBe('instance-id: "u"\nlocal-hostname: "a\\nb: c"\n');
  });
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const WHERE = { field: 'spec.volumes[1].cloudInitNoCloud.secretRef', namespace: 'ns', name: 'ci' };

function caughtFrom(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('cloud-init data from a Secret', () => {
  it('names the Secrets of secretRef and networkDataSecretRef, nothing when inline', () => {
    expect(noCloudSecretRefs({ secretRef: { name: 'u' }, networkDataSecretRef: { name: 'n' } })).toEqual({
      userData: 'u',
      networkData: 'n',
    });
    expect(noCloudSecretRefs({ userData: '#cloud-config\n', networkData: 'version: 2\n' })).toEqual({});
  });

  it.each([
    [{ userData: 'a', secretRef: { name: 's' } }, 'secretRef'],
    [{ userDataBase64: 'YQ==', secretRef: { name: 's' } }, 'secretRef'],
    [{ secretRef: { name: 's' }, networkData: 'a', networkDataSecretRef: { name: 'n' } }, 'networkDataSecretRef'],
  ])('refuses %j: a Secret and inline data for one file', (source, field) => {
    expect(caughtFrom(() => noCloudFiles(source, UID, 'x'))).toMatchObject({ field });
  });

  it('renders user-data and network-config equal to the Secret values, meta-data as ever', () => {
    const files = noCloudFiles({ secretRef: { name: 'ci' }, networkDataSecretRef: { name: 'ci' } }, UID, 'web');
    expect(files['user-data']).toBe('');
    const secret = { data: { userdata: b64('#cloud-config\nhostname: web\n'), networkdata: b64('version: 2\n') } };
    const filled = withSecretData(files, {
      userData: secretValue(secret, WHERE, USER_DATA_KEYS),
      networkData: secretValue(secret, WHERE, NETWORK_DATA_KEYS),
    });
    expect(filled).toEqual({
      'user-data': '#cloud-config\nhostname: web\n',
      'meta-data': `instance-id: "${UID}"\nlocal-hostname: "web"\n`,
      'network-config': 'version: 2\n',
    });
  });

  it('reads userdata before userData, and the camel-case keys alone (as KubeVirt)', () => {
    expect(secretValue({ data: { userData: b64('b'), userdata: b64('a') } }, WHERE, USER_DATA_KEYS)).toBe('a');
    expect(secretValue({ data: { userData: b64('b') } }, WHERE, USER_DATA_KEYS)).toBe('b');
    expect(secretValue({ data: { networkData: b64('n') } }, WHERE, NETWORK_DATA_KEYS)).toBe('n');
    expect(secretValue({ data: { userdata: '' } }, WHERE, USER_DATA_KEYS)).toBe('');
  });

  it.each([
    [undefined, 'Secret ns/ci does not exist'],
    [{}, 'Secret ns/ci has no key userdata or userData'],
    [{ data: { 'user-data': b64('secret words') } }, 'Secret ns/ci has no key userdata or userData'],
  ])('refuses the Secret %j naming the field and the Secret, not its content', (secret, message) => {
    const e = caughtFrom(() => secretValue(secret, WHERE, USER_DATA_KEYS));
    expect(e).toBeInstanceOf(NoCloudError);
    expect(e).toMatchObject({ field: WHERE.field, message });
    expect(String((e as Error).message)).not.toContain('secret words');
  });
});
