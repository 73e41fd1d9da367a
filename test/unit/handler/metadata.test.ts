import { readTsvirtMetadata } from '../../../handler/domain/metadata.js';

describe('readTsvirtMetadata', () => {
  it('reads the element back as libvirt prints it, double quotes and all', () => {
    const xml = `<domain type='qemu' id='3'>
  <name>ns_web</name>
  <metadata>
    <tsvirt:vmi xmlns:tsvirt="https://tsvirt.io/domain/v1alpha1">
      <tsvirt:uid>1234</tsvirt:uid>
      <tsvirt:namespace>ns</tsvirt:namespace>
      <tsvirt:name>web</tsvirt:name>
      <tsvirt:gracePeriodSeconds>5</tsvirt:gracePeriodSeconds>
    </tsvirt:vmi>
  </metadata>
</domain>`;
    expect(readTsvirtMetadata(xml)).toEqual({ uid: '1234', namespace: 'ns', name: 'web', graceSeconds: 5 });
  });

  it('follows whatever prefix the namespace is bound to', () => {
    const xml = `<domain><metadata><t:vmi xmlns:t='https://tsvirt.io/domain/v1alpha1'><t:uid>u</t:uid><t:namespace>n</t:namespace><t:name>a&amp;b</t:name></t:vmi></metadata></domain>`;
    expect(readTsvirtMetadata(xml)).toEqual({ uid: 'u', namespace: 'n', name: 'a&b', graceSeconds: 180 });
  });

  it.each([
    ['no metadata', `<domain type='test'><name>test</name></domain>`],
    [
      'someone else\u2019s metadata',
      `<domain><metadata><x:app xmlns:x="https://example.com/app"><x:uid>u</x:uid></x:app></metadata></domain>`,
    ],
    [
      'an incomplete element',
      `<domain><metadata><t:vmi xmlns:t="https://tsvirt.io/domain/v1alpha1"><t:uid>u</t:uid></t:vmi></metadata></domain>`,
    ],
  ])('says a domain with %s is not ours', (_what, xml) => {
    expect(readTsvirtMetadata(xml)).toBeUndefined();
  });
});
