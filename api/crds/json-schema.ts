/**
 * The apiextensions.k8s.io/v1 JSONSchemaProps subset tsvirt's CRDs use, and small builders for it.
 * TypeScript names for schema nodes live beside the schema in a WeakMap, not in it, so the CRD
 * YAML stays plain Kubernetes and the type generator still knows what to call each node.
 */

/** One `x-kubernetes-validations` entry: a CEL rule and the message shown when it is false. */
export interface ValidationRule {
  readonly rule: string;
  readonly message: string;
  /** Where the API server reports the error, relative to the node the rule sits on. */
  readonly fieldPath?: string;
  readonly reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

export type SchemaType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

export interface JSONSchemaProps {
  readonly type?: SchemaType;
  readonly description?: string;
  readonly format?: string;
  readonly properties?: Readonly<Record<string, JSONSchemaProps>>;
  readonly required?: ReadonlyArray<string>;
  readonly additionalProperties?: JSONSchemaProps;
  readonly items?: JSONSchemaProps;
  readonly anyOf?: ReadonlyArray<JSONSchemaProps>;
  readonly enum?: ReadonlyArray<string>;
  readonly default?: unknown;
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly maxItems?: number;
  readonly maxProperties?: number;
  readonly minimum?: number;
  readonly 'x-kubernetes-int-or-string'?: true;
  readonly 'x-kubernetes-preserve-unknown-fields'?: true;
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  readonly 'x-kubernetes-validations'?: ReadonlyArray<ValidationRule>;
}

/** How the type generator renders a schema node: as a named type, or as a fixed TypeScript type. */
export interface TsInfo {
  readonly name?: string;
  readonly override?: string;
}

const TS_INFO = new WeakMap<JSONSchemaProps, TsInfo>();

/** The generator's instructions for `schema`, if any. */
export function tsInfo(schema: JSONSchemaProps): TsInfo | undefined {
  return TS_INFO.get(schema);
}

/** Marks `schema` to become `export interface <name>` (or `type`) in the generated types. */
export function named<S extends JSONSchemaProps>(name: string, schema: S): S {
  TS_INFO.set(schema, { name });
  return schema;
}

/** Marks `schema` to render as the TypeScript type `tsType` (for nodes the API server owns). */
export function tsOverride<S extends JSONSchemaProps>(tsType: string, schema: S): S {
  TS_INFO.set(schema, { override: tsType });
  return schema;
}

type Extra = Omit<JSONSchemaProps, 'type' | 'properties' | 'items' | 'required'>;

export function rule(celRule: string, message: string, fieldPath?: string): ValidationRule {
  return fieldPath === undefined ? { rule: celRule, message } : { rule: celRule, message, fieldPath };
}

export function str(extra: Extra = {}): JSONSchemaProps {
  return { type: 'string', ...extra };
}

export function int(extra: Extra = {}): JSONSchemaProps {
  return { type: 'integer', format: 'int64', ...extra };
}

export function bool(extra: Extra = {}): JSONSchemaProps {
  return { type: 'boolean', ...extra };
}

export function arr(items: JSONSchemaProps, extra: Extra = {}): JSONSchemaProps {
  return { type: 'array', items, ...extra };
}

export function obj(
  properties: Readonly<Record<string, JSONSchemaProps>>,
  extra: Extra & { readonly required?: ReadonlyArray<string> } = {},
): JSONSchemaProps {
  const { required, ...rest } = extra;
  return required === undefined
    ? { type: 'object', properties, ...rest }
    : { type: 'object', required, properties, ...rest };
}

/** An object with no fields: KubeVirt's marker structs such as `masquerade: {}` and `pod: {}`. */
export function marker(extra: Extra = {}): JSONSchemaProps {
  return { type: 'object', ...extra };
}

export function stringMap(extra: Extra = {}): JSONSchemaProps {
  return { type: 'object', additionalProperties: { type: 'string' }, ...extra };
}

/**
 * A Kubernetes quantity (`128Mi`, `1G`, `500m`, or a number). No OpenAPI `pattern`: a pattern
 * cannot carry a message, and a failed pattern stops the API server from running the CEL rules,
 * so the user would see a regular expression instead of "use a quantity such as 128Mi". The CEL
 * rule below checks the same grammar (the API server's own quantity parser) and says so.
 */
export function quantity(extra: Extra & { readonly field: string }): JSONSchemaProps {
  const { field, ...rest } = extra;
  const wellFormed: ValidationRule = {
    rule: 'isQuantity(string(self))',
    message: `${field} must be a Kubernetes quantity, such as 128Mi, 1Gi, 500m or 2`,
  };
  return tsOverride('Quantity', {
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    maxLength: 64,
    'x-kubernetes-int-or-string': true,
    ...rest,
    'x-kubernetes-validations': [wellFormed, ...(rest['x-kubernetes-validations'] ?? [])],
  });
}
