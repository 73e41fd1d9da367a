import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ImagePullError } from '../../../handler/containerdisk/cache.js';
import { ManifestError, nodePlatform, readManifest, sha256Digest } from '../../../handler/containerdisk/manifest.js';
import { authFileOf } from '../../../handler/containerdisk/pull-secret.js';
import {
  ImageReferenceError,
  defaultPullPolicy,
  formatReference,
  parseImageReference,
  pinnedReference,
} from '../../../handler/containerdisk/reference.js';
import { toolMessage } from '../../../handler/containerdisk/tools.js';

// Recorded from the local registry (hack/guest-images.sh pushed tsvirt/debian:12; skopeo and
// buildah re-pushed it as a Docker v2s2 manifest, an OCI index and a Docker manifest list).
const fixtures = fileURLToPath(new URL('../../fixtures/manifests/', import.meta.url));
const raw = (name: string): string => readFileSync(`${fixtures}${name}.json`, 'utf8');
const AMD64 = { os: 'linux', architecture: 'amd64' };
const OCI_DIGEST = 'sha256:625859febea2ed38ffeb2c5016a7f4c5d5e2f436ea6cf9f9e053d92843ca4ab9';
const V2S2_DIGEST = 'sha256:22b33f36dafba0c9162f0bf9092b8f37fadb3588a856e9b89b1b7cd654e00c88';

describe('parseImageReference', () => {
  it.each([
    ['127.0.0.1:5000/tsvirt/debian:12', { registry: '127.0.0.1:5000', repository: 'tsvirt/debian', tag: '12' }],
    [
      'quay.io/kubevirt/cirros-container-disk-demo',
      { registry: 'quay.io', repository: 'kubevirt/cirros-container-disk-demo', tag: 'latest' },
    ],
    ['cirros', { registry: 'docker.io', repository: 'library/cirros', tag: 'latest' }],
    ['kubevirt/fedora:39', { registry: 'docker.io', repository: 'kubevirt/fedora', tag: '39' }],
    ['localhost/a/b:c', { registry: 'localhost', repository: 'a/b', tag: 'c' }],
    [`r.example/x@${OCI_DIGEST}`, { registry: 'r.example', repository: 'x', digest: OCI_DIGEST }],
    [`r.example/x:1@${OCI_DIGEST}`, { registry: 'r.example', repository: 'x', tag: '1', digest: OCI_DIGEST }],
  ])('reads %s', (ref, want) => {
    expect(parseImageReference(ref)).toEqual(want);
  });

  it.each([
    ['', 'is not an image reference'],
    [' cirros', 'is not an image reference'],
    ['quay.io/Kubevirt/x', '"Kubevirt" is not a repository name'],
    ['r.example/x@sha256:abc', 'the digest must be sha256'],
    ['r.example/x:bad/tag', '"x:bad" is not a repository name'],
    ['r.example/x:-x', '"-x" is not a valid tag'],
  ])('refuses %j', (ref, message) => {
    expect(() => parseImageReference(ref)).toThrow(ImageReferenceError);
    expect(() => parseImageReference(ref)).toThrow(message);
  });

  it('formats the qualified and the pinned forms', () => {
    const r = parseImageReference('cirros:0.6');
    expect(formatReference(r)).toBe('docker.io/library/cirros:0.6');
    expect(pinnedReference(r, OCI_DIGEST)).toBe(`docker.io/library/cirros@${OCI_DIGEST}`);
  });

  it('defaults the pull policy as KubeVirt does: Always for latest, IfNotPresent otherwise', () => {
    expect(defaultPullPolicy(parseImageReference('a.io/x'))).toBe('Always');
    expect(defaultPullPolicy(parseImageReference('a.io/x:latest'))).toBe('Always');
    expect(defaultPullPolicy(parseImageReference('a.io/x:12'))).toBe('IfNotPresent');
    expect(defaultPullPolicy(parseImageReference(`a.io/x@${OCI_DIGEST}`))).toBe('IfNotPresent');
  });
});

describe('readManifest on recorded manifests', () => {
  it('reads an OCI image manifest and its digest', () => {
    expect(readManifest(raw('debian-12'), AMD64)).toEqual({
      kind: 'manifest',
      digest: OCI_DIGEST,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      layers: 1,
      bytes: expect.any(Number) as number,
    });
  });

  it('reads a Docker v2 schema 2 manifest', () => {
    const view = readManifest(raw('debian-12-v2s2'), AMD64);
    expect(view).toMatchObject({ kind: 'manifest', digest: V2S2_DIGEST, layers: 1 });
  });

  it('takes the linux/amd64 entry of an OCI index and of a Docker manifest list', () => {
    expect(readManifest(raw('debian-12-index'), AMD64)).toMatchObject({ kind: 'index', chosen: OCI_DIGEST });
    expect(readManifest(raw('debian-12-list'), AMD64)).toMatchObject({ kind: 'index', chosen: V2S2_DIGEST });
  });

  it('accepts bytes whose digest is the pinned one and refuses any other bytes', () => {
    expect(readManifest(raw('debian-12'), AMD64, OCI_DIGEST).digest).toBe(OCI_DIGEST);
    const tampered = raw('debian-12').replace('"size":389', '"size":390');
    expect(() => readManifest(tampered, AMD64, OCI_DIGEST)).toThrow(`not ${OCI_DIGEST} as the reference says`);
  });

  it('says which platforms an index has when the node is not among them', () => {
    expect(() => readManifest(raw('debian-12-index'), { os: 'linux', architecture: 'arm64' })).toThrow(
      'the image index has no linux/arm64 manifest (it has linux/amd64)',
    );
  });

  it.each([
    ['not JSON', '{', 'is not JSON'],
    ['schema 1', '{"schemaVersion":1}', 'schemaVersion 1 is not supported'],
    [
      'a manifest without layers',
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}',
      'has no layers',
    ],
    ['another media type', '{"schemaVersion":2,"mediaType":"application/x-foo"}', 'media type "application/x-foo"'],
  ])('refuses %s', (_what, text, message) => {
    expect(() => readManifest(text, AMD64)).toThrow(ManifestError);
    expect(() => readManifest(text, AMD64)).toThrow(message);
  });

  it('digests bytes as sha256 and names the node platform in OCI words', () => {
    expect(sha256Digest('')).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(nodePlatform('x64')).toEqual(AMD64);
    expect(nodePlatform('arm64')).toEqual({ os: 'linux', architecture: 'arm64' });
  });
});

describe('authFileOf', () => {
  const config = JSON.stringify({ auths: { '127.0.0.1:5000': { auth: 'dTpw' } } });
  const secret = {
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(config).toString('base64') },
  };

  it('gives the dockerconfigjson document unchanged', () => {
    expect(authFileOf(secret, 'ns', 'regcred')).toBe(config);
  });

  it.each([
    ['a missing Secret', undefined, "Secret ns/regcred (the containerDisk's imagePullSecret) does not exist"],
    ['an Opaque Secret', { type: 'Opaque', data: {} }, 'is of type Opaque, not kubernetes.io/dockerconfigjson'],
    ['a Secret without the key', { type: 'kubernetes.io/dockerconfigjson', data: {} }, 'has no .dockerconfigjson key'],
    [
      'a key without auths',
      { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from('{}').toString('base64') } },
      'has no "auths" object',
    ],
  ])('refuses %s with a message naming it', (_what, s, message) => {
    expect(() => authFileOf(s, 'ns', 'regcred')).toThrow(ImagePullError);
    expect(() => authFileOf(s, 'ns', 'regcred')).toThrow(message);
  });
});

describe('toolMessage', () => {
  it('unquotes a containers/image fatal message', () => {
    const stderr =
      'time="2026-12-02T19:21:41Z" level=fatal msg="reading manifest 1 in 127.0.0.1:44417/tsvirt/nope: manifest unknown: manifest unknown"\n';
    expect(toolMessage(stderr)).toBe(
      'reading manifest 1 in 127.0.0.1:44417/tsvirt/nope: manifest unknown: manifest unknown',
    );
  });

  it('takes the last line otherwise', () => {
    expect(toolMessage('a\nqemu-img: Could not open x: No such file\n\n')).toBe(
      'qemu-img: Could not open x: No such file',
    );
  });
});
