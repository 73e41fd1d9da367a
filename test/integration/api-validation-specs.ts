// test/bad-specs/*.yaml, the one source of the CRD validation cases: each file is a VirtualMachine
// (or, for the transition rule, two VMI documents) under a comment header saying what it tries and
// what the API server must answer:
//
//   # memory.guest just below 1Mi                        <- first line: what the file tries
//   # expect: memory.guest must be at least 1Mi          <- a substring of the message, or `accepted`
//   # field: spec.template.spec.domain.memory.guest      <- bad specs: the field the cause names
//   # as-vmi: no                                         <- optional: VM-only fields, no VMI twin
//   # update: yes                                        <- optional: create doc 1, then replace with doc 2
//
// Parsing is pure; only loadBadSpecs reads the folder. The unit tier uses it too (rule coverage).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { VM_KIND, VMI_KIND } from '../../api/names.js';

export type Json = Record<string, unknown>;

export const BAD_SPECS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'bad-specs');

export interface BadSpec {
  /** File name inside test/bad-specs/. */
  readonly file: string;
  readonly path: string;
  /** The first comment line: what the file tries. */
  readonly title: string;
  /** A substring of the API server's message; undefined means the object must be accepted. */
  readonly rejectedWith: string | undefined;
  /** The field the API server blames, as it names it for the VM; set on every bad spec. */
  readonly field: string | undefined;
  /** The first document's kind: a VirtualMachine, or another tsvirt kind (VMI, VirtualMachineInstanceMigration). */
  readonly kind: string;
  /** Whether the VM's template is also tried as a VirtualMachineInstance. */
  readonly asVmi: boolean;
  /** Two documents: the first is created, the second must be refused as an update of it. */
  readonly update: boolean;
  readonly documents: readonly Json[];
}

const HEADER = /^#\s*([a-z-]+):\s*(.*)$/;

function headers(text: string): { title: string; fields: Map<string, string> } {
  const comments = text.split('\n').filter((l) => l.startsWith('#'));
  const fields = new Map<string, string>();
  for (const line of comments.slice(1)) {
    const m = HEADER.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) fields.set(m[1], m[2].trim());
  }
  return { title: (comments[0] ?? '').replace(/^#\s*/, ''), fields };
}

const YES_NO: Readonly<Record<string, boolean>> = { yes: true, no: false };

function flag(fields: Map<string, string>, key: string, fallback: boolean, file: string): boolean {
  const raw = fields.get(key);
  if (raw === undefined) return fallback;
  const value = YES_NO[raw];
  if (value === undefined) throw new Error(`${file}: "# ${key}: ${raw}" must be yes or no`);
  return value;
}

/** Parses one file's text; throws naming the file when its header or YAML is malformed. */
export function parseBadSpec(file: string, text: string, path = file): BadSpec {
  const { title, fields } = headers(text);
  const expect = fields.get('expect');
  if (title === '' || expect === undefined || expect === '') {
    throw new Error(`${file}: needs a title comment and "# expect: <message substring>|accepted"`);
  }
  const documents = parseAllDocuments(text).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]?.message ?? 'invalid YAML'}`);
    return d.toJS() as Json;
  });
  const field = fields.get('field');
  if (expect !== 'accepted' && field === undefined) throw new Error(`${file}: a bad spec needs "# field: <path>"`);
  const update = flag(fields, 'update', false, file);
  if (documents.length !== (update ? 2 : 1)) throw new Error(`${file}: expected ${update ? 2 : 1} document(s)`);
  const kind = documents[0]?.['kind'];
  return {
    file,
    path,
    title,
    rejectedWith: expect === 'accepted' ? undefined : expect,
    field,
    kind: String(kind),
    asVmi: kind === VM_KIND && flag(fields, 'as-vmi', true, file),
    update,
    documents,
  };
}

/** Every file in test/bad-specs/, sorted by name. */
export function loadBadSpecs(dir = BAD_SPECS_DIR): BadSpec[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => parseBadSpec(f, readFileSync(join(dir, f), 'utf8'), join(dir, f)));
}

/** The VMI a VM's template makes: the same name and spec, so every template rule is tried on both CRDs. */
export function vmiTwin(vm: Json): Json {
  const spec = vm['spec'] as { template?: { spec?: unknown } } | undefined;
  const meta = vm['metadata'] as { name?: unknown } | undefined;
  return { apiVersion: vm['apiVersion'], kind: VMI_KIND, metadata: { name: meta?.name }, spec: spec?.template?.spec };
}

/** The field as the API server names it on the VMI twin: spec.template.spec.X becomes spec.X. */
export function vmiField(field: string | undefined): string | undefined {
  return field?.replace(/^spec\.template\.spec\./, 'spec.');
}

/** The good VM every bad spec was made from. */
export function goodVm(specs: readonly BadSpec[]): Json {
  const good = specs.find((s) => s.file === 'good.yaml')?.documents[0];
  if (good === undefined) throw new Error('test/bad-specs/good.yaml is missing');
  return structuredClone(good);
}
