import { arr, int, named, obj, quantity, str, stringMap, tsOverride } from '../../../api/crds/json-schema.js';
import { renderTypes } from '../../../api/crds/typegen.js';

describe('renderTypes', () => {
  it('declares named nodes as readonly interfaces, optional unless required', () => {
    const schema = named(
      'Thing',
      obj({ name: str(), size: int(), tags: arr(str()), labels: stringMap() }, { required: ['name'] }),
    );
    expect(renderTypes([schema], '')).toBe(
      [
        '',
        'export interface Thing {',
        '  readonly name: string;',
        '  readonly size?: number;',
        '  readonly tags?: ReadonlyArray<string>;',
        '  readonly labels?: Readonly<Record<string, string>>;',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('turns enums into unions, quantities into Quantity and overrides into their type', () => {
    const schema = named(
      'Thing',
      obj({
        mode: named('Mode', str({ enum: ['A', 'B'] })),
        size: quantity({ field: 'size' }),
        meta: tsOverride('ObjectMeta', { type: 'object' }),
      }),
    );
    const out = renderTypes([schema], '');
    expect(out).toContain('readonly mode?: Mode;');
    expect(out).toContain("export type Mode = 'A' | 'B';");
    expect(out).toContain('readonly size?: Quantity;');
    expect(out).toContain('readonly meta?: ObjectMeta;');
  });

  it('declares a node reached twice once, and refuses two different nodes of one name', () => {
    const shared = named('Shared', obj({ a: str() }));
    const twice = named('Root', obj({ x: shared, y: shared }));
    expect(renderTypes([twice], '').match(/export interface Shared/g)).toHaveLength(1);

    const clash = named('Root', obj({ x: named('Same', obj({ a: str() })), y: named('Same', obj({ b: str() })) }));
    expect(() => renderTypes([clash], '')).toThrow('Two different schemas are both named Same');
  });

  it('refuses a node without a type, which is not structural', () => {
    expect(() => renderTypes([named('Bad', obj({ x: {} }))], '')).toThrow('not structural');
  });
});
