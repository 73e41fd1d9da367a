/** The CustomResourceDefinition envelope both tsvirt CRDs share. */
import { GROUP, RELEASE_VERSION, VERSION, VERSION_LABEL } from '../names.js';
import { type JSONSchemaProps, str, tsOverride } from './json-schema.js';

export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'date' | 'boolean' | 'integer';
  readonly jsonPath: string;
  readonly priority?: number;
  readonly description?: string;
}

export interface CustomResourceDefinition {
  readonly apiVersion: 'apiextensions.k8s.io/v1';
  readonly kind: 'CustomResourceDefinition';
  readonly metadata: { readonly name: string; readonly labels: Readonly<Record<string, string>> };
  readonly spec: {
    readonly group: string;
    readonly names: {
      readonly kind: string;
      readonly listKind: string;
      readonly plural: string;
      readonly singular: string;
      readonly shortNames: ReadonlyArray<string>;
      readonly categories: ReadonlyArray<string>;
    };
    readonly scope: 'Namespaced';
    readonly versions: ReadonlyArray<{
      readonly name: string;
      readonly served: boolean;
      readonly storage: boolean;
      readonly schema: { readonly openAPIV3Schema: JSONSchemaProps };
      readonly subresources: { readonly status: Readonly<Record<string, never>> };
      readonly additionalPrinterColumns: ReadonlyArray<PrinterColumn>;
      readonly selectableFields?: ReadonlyArray<{ readonly jsonPath: string }>;
    }>;
  };
}

export interface CrdNames {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: ReadonlyArray<string>;
}

/** apiVersion and kind are set by the API server; the types pin them to tsvirt's literals. */
export function typeMeta(kindConstant: string): Readonly<Record<string, JSONSchemaProps>> {
  return {
    apiVersion: tsOverride(
      'typeof API_VERSION',
      str({ description: 'The versioned schema of this object: tsvirt.io/v1alpha1.' }),
    ),
    kind: tsOverride(`typeof ${kindConstant}`, str({ description: 'The kind of this object.' })),
    // Bare, as a structural schema wants it; the API server publishes ObjectMeta's own docs for it.
    metadata: tsOverride('ObjectMeta', { type: 'object' }),
  };
}

export const AGE_COLUMN: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

export function customResourceDefinition(
  names: CrdNames,
  schema: JSONSchemaProps,
  columns: ReadonlyArray<PrinterColumn>,
  selectableFields: ReadonlyArray<string> = [],
): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${names.plural}.${GROUP}`, labels: { [VERSION_LABEL]: RELEASE_VERSION } },
    spec: {
      group: GROUP,
      names: { ...names, listKind: `${names.kind}List`, categories: ['all'] },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: schema },
          subresources: { status: {} },
          additionalPrinterColumns: columns,
          ...(selectableFields.length === 0
            ? {}
            : { selectableFields: selectableFields.map((f) => ({ jsonPath: `.${f}` })) }),
        },
      ],
    },
  };
}
