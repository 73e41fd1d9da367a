import { NoCloudError, noCloudFiles, renderMetaData } from '../../../handler/cloudinit/nocloud.js';

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
