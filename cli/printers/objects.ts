/**
 * -o json, -o yaml and -o name, as kubectl prints them: JSON with keys sorted and four-space
 * indentation (Go's json.MarshalIndent of an unstructured object), several objects wrapped in a
 * `v1 List`, YAML with sorted keys and unindented sequences (sigs.k8s.io/yaml), and names as
 * `virtualmachine.tsvirt.io/web`.
 */
import { GROUP, VM_KIND, VMI_KIND } from '../../api/names.js';

export { OUTPUT_FORMATS, type OutputFormat } from '../output-formats.js';

function sortKeys(u: unknown): unknown {
  if (Array.isArray(u)) return u.map(sortKeys);
  if (typeof u !== 'object' || u === null) return u;
  const entries = Object.entries(u).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
}

/** kubectl hides metadata.managedFields unless --show-managed-fields; so do we. */
export function withoutManagedFields(o: unknown): unknown {
  if (typeof o !== 'object' || o === null || !('metadata' in o)) return o;
  const meta = o.metadata;
  if (typeof meta !== 'object' || meta === null || !('managedFields' in meta)) return o;
  const { managedFields: _hidden, ...rest } = meta as Record<string, unknown>;
  return { ...o, metadata: rest };
}

/** What `kubectl get` shows for several objects: a List with an empty resourceVersion. */
export function asList(items: readonly unknown[]): unknown {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

export function toJson(u: unknown): string {
  return JSON.stringify(sortKeys(u), null, 4) + '\n';
}

/** YAML as kubectl prints it; the yaml library is loaded only when YAML is asked for. */
export async function toYaml(u: unknown): Promise<string> {
  const yaml = await import('yaml');
  // Bundled, yaml's CommonJS build comes as a default export; from source, as named exports.
  const stringify = (yaml.stringify as typeof yaml.stringify | undefined) ?? yaml.default.stringify;
  // YAML 1.1, as go-yaml: strings that 1.1 would read as timestamps or booleans get quoted.
  return stringify(sortKeys(u), { version: '1.1', indentSeq: false, lineWidth: 0 });
}

const RESOURCE_BY_KIND: Readonly<Record<string, string>> = {
  [VM_KIND]: `virtualmachine.${GROUP}`,
  [VMI_KIND]: `virtualmachineinstance.${GROUP}`,
};

type Named = Readonly<{ kind?: string; metadata?: Readonly<{ name?: string }> }>;

/** `virtualmachine.tsvirt.io/web`, the form `kubectl get -o name` prints and every verb accepts. */
export function resourceName(o: Named): string {
  const kind = o.kind ?? '';
  return `${RESOURCE_BY_KIND[kind] ?? kind.toLowerCase()}/${o.metadata?.name ?? ''}`;
}

/**
 * Renders objects as json, yaml or name. `single` is true when the user named exactly one object:
 * kubectl then prints the object itself, not a List.
 */
export async function renderObjects(
  objects: readonly Named[],
  format: 'json' | 'yaml' | 'name',
  single: boolean,
): Promise<string> {
  if (format === 'name') return objects.map((o) => resourceName(o) + '\n').join('');
  const shown = objects.map(withoutManagedFields);
  const doc = single && shown.length === 1 ? shown[0] : asList(shown);
  return format === 'json' ? toJson(doc) : toYaml(doc);
}
