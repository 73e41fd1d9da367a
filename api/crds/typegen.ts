/**
 * Renders TypeScript declarations from the CRD schemas, so the types are generated from the very
 * objects the API server validates against and cannot drift from them. Every property is readonly
 * (objects from a cache are shared); `required` decides optionality; `named()` nodes become
 * declarations, the rest is inlined.
 */
import { type JSONSchemaProps, tsInfo } from './json-schema.js';

interface Declaration {
  readonly name: string;
  readonly text: string;
}

class Renderer {
  private readonly queue: JSONSchemaProps[] = [];
  private readonly seen = new Map<string, JSONSchemaProps>();

  /** A type expression for `schema`; a named node is queued for declaration and referenced. */
  expression(schema: JSONSchemaProps, indent: string): string {
    const info = tsInfo(schema);
    if (info?.override !== undefined) return info.override;
    if (info?.name !== undefined) {
      this.enqueue(info.name, schema);
      return info.name;
    }
    return this.structure(schema, indent);
  }

  declarations(roots: ReadonlyArray<JSONSchemaProps>): ReadonlyArray<Declaration> {
    for (const root of roots) this.enqueue(nameOf(root), root);
    const out: Declaration[] = [];
    for (let i = 0; i < this.queue.length; i++) {
      const schema = this.queue[i] as JSONSchemaProps;
      out.push({ name: nameOf(schema), text: this.declaration(schema) });
    }
    return out;
  }

  declaration(schema: JSONSchemaProps): string {
    const name = nameOf(schema);
    const doc = docComment(schema.description, '');
    if (schema.type === 'object' && schema.properties !== undefined) {
      return `${doc}export interface ${name} ${this.structure(schema, '')}\n`;
    }
    return `${doc}export type ${name} = ${this.structure(schema, '')};\n`;
  }

  private enqueue(name: string, schema: JSONSchemaProps): void {
    const known = this.seen.get(name);
    if (known === undefined) {
      this.seen.set(name, schema);
      this.queue.push(schema);
      return;
    }
    // Two nodes may share a name (limits and requests differ only in their messages) when they
    // render to the same type; anything else would silently drop one of them.
    if (known !== schema && this.declaration(known) !== this.declaration(schema)) {
      throw new Error(`Two different schemas are both named ${name}`);
    }
  }

  private structure(schema: JSONSchemaProps, indent: string): string {
    if (schema['x-kubernetes-int-or-string'] === true) return 'string | number';
    if (schema.enum !== undefined) return schema.enum.map((v) => `'${v}'`).join(' | ');
    switch (schema.type) {
      case 'string':
        return 'string';
      case 'integer':
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'array':
        return `ReadonlyArray<${this.expression(required(schema.items, 'items'), indent)}>`;
      case 'object':
        return this.object(schema, indent);
      case undefined:
        throw new Error('A schema node without a type is not structural');
      default:
        return assertNever(schema.type);
    }
  }

  private object(schema: JSONSchemaProps, indent: string): string {
    if (schema.properties === undefined) {
      if (schema.additionalProperties !== undefined) {
        return `Readonly<Record<string, ${this.expression(schema.additionalProperties, indent)}>>`;
      }
      return schema['x-kubernetes-preserve-unknown-fields'] === true
        ? 'Readonly<Record<string, unknown>>'
        : 'Readonly<Record<string, never>>';
    }
    const inner = `${indent}  `;
    const mandatory = new Set(schema.required ?? []);
    const lines = Object.entries(schema.properties).map(([key, child]) => {
      const optional = mandatory.has(key) ? '' : '?';
      const doc = docComment(child.description, inner);
      return `${doc}${inner}readonly ${key}${optional}: ${this.expression(child, inner)};\n`;
    });
    return `{\n${lines.join('')}${indent}}`;
  }
}

function assertNever(value: never): never {
  throw new Error(`Unexpected schema type ${String(value)}`);
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`An array schema has no ${what}`);
  return value;
}

function nameOf(schema: JSONSchemaProps): string {
  const name = tsInfo(schema)?.name;
  if (name === undefined) throw new Error('A root or declared schema has no name; wrap it in named()');
  return name;
}

function docComment(description: string | undefined, indent: string): string {
  return description === undefined ? '' : `${indent}/** ${description.replaceAll('*/', '* /')} */\n`;
}

/**
 * TypeScript source declaring `roots` and every named node they reach, in a stable order (roots
 * first, then breadth-first by first use). `header` goes on top (imports, the do-not-edit note).
 */
export function renderTypes(roots: ReadonlyArray<JSONSchemaProps>, header: string): string {
  const declarations = new Renderer().declarations(roots);
  return `${header}\n${declarations.map((d) => d.text).join('\n')}`;
}
