// Every file in test/bad-specs/ against the real API server, two ways: with kubectl (server-side
// dry run, so nothing needs cleaning up) and with `kubectl virt create -f` (the real executable in
// dist/bin, or TSVIRT_CLI_BIN_DIR). A bad spec must be refused with its message — by kubectl virt
// as a `field: problem` line and exit code EXIT_CODES.failed — and a good twin accepted by both.
// A VM's template is also tried as a VirtualMachineInstance (kubectl only: kubectl virt creates VMs),
// since the VMI CRD carries the same rules. No tsvirt component runs: this is the API server alone.
import { VM_KIND } from '../../api/names.js';
import { EXIT_CODES } from '../../cli/exit-codes.js';
import {
  createTestNamespace,
  deleteTestNamespace,
  kubectl,
  type KubectlResult,
  kubectlVirt,
} from '../harness/index.js';
import { loadBadSpecs, vmiField, vmiTwin, type BadSpec } from './api-validation-specs.js';

const SPECS = loadBadSpecs();
const CONCURRENCY = 8;

let ns: string;
const results = new Map<string, Verdicts>();

interface Verdicts {
  readonly kubectl: KubectlResult;
  readonly vmi?: KubectlResult;
  readonly virt?: KubectlResult;
}

const dryRun = (file: string): Promise<KubectlResult> =>
  kubectl(['create', '--dry-run=server', '-n', ns, '-f', file], { allowFailure: true });

async function updateVerdict(spec: BadSpec): Promise<KubectlResult> {
  const [first, second] = spec.documents;
  await kubectl(['create', '-n', ns, '-f', '-'], { input: JSON.stringify(first) });
  return kubectl(['replace', '-n', ns, '-f', '-'], { input: JSON.stringify(second), allowFailure: true });
}

async function verdicts(spec: BadSpec): Promise<Verdicts> {
  if (spec.update) return { kubectl: await updateVerdict(spec) };
  const [k, virt, vmi] = await Promise.all([
    dryRun(spec.path),
    // kubectl virt create takes VirtualMachines only.
    spec.kind === VM_KIND ? kubectlVirt(['create', '--dry-run=server', '-n', ns, '-f', spec.path]) : undefined,
    spec.asVmi
      ? kubectl(['create', '--dry-run=server', '-n', ns, '-f', '-'], {
          input: JSON.stringify(vmiTwin(spec.documents[0] ?? {})),
          allowFailure: true,
        })
      : undefined,
  ]);
  return { kubectl: k, ...(virt === undefined ? {} : { virt }), ...(vmi === undefined ? {} : { vmi }) };
}

beforeAll(async () => {
  ns = await createTestNamespace('bad-specs');
  // Tried up front, several at once, so 300-odd process runs take seconds; each test reads its verdicts.
  const queue = [...SPECS];
  const worker = async (): Promise<void> => {
    for (let s = queue.shift(); s !== undefined; s = queue.shift()) results.set(s.file, await verdicts(s));
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}, 150_000);

afterAll(async () => {
  await deleteTestNamespace(ns);
}, 60_000);

const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '');

/**
 * kubectl names the field before the message (`* spec.x: Invalid value: ...`), `<nil>` for a
 * rule on the whole object, and quotes it for a strict-decoding unknown field.
 */
function kubectlNames(stderr: string, expected: string, field: string | undefined): boolean {
  return lines(stderr).some(
    (l) =>
      l.includes(expected) &&
      (field === undefined ||
        l.includes(`${field}: `) ||
        l.includes(`<nil>: Invalid value: ${field} `) ||
        l.includes(`unknown field "${field}"`)),
  );
}

function expectKubectl(result: KubectlResult, spec: BadSpec, field: string | undefined): void {
  if (spec.rejectedWith === undefined) {
    expect({ code: result.code, stderr: result.stderr.trim() }).toEqual({ code: 0, stderr: '' });
    return;
  }
  expect(result.code).not.toBe(0);
  expect({ stderr: result.stderr, names: kubectlNames(result.stderr, spec.rejectedWith, field) }).toEqual({
    stderr: expect.stringContaining(spec.rejectedWith) as unknown,
    names: true,
  });
}

/** `  field: problem` — the only shape of an indented line in kubectl virt's rejection. */
const CAUSE_LINE = /^ {2}(\S+): (\S.*)$/;

function expectVirt(result: KubectlResult, spec: BadSpec): void {
  const name = String((spec.documents[0]?.['metadata'] as { name?: unknown } | undefined)?.name);
  if (spec.rejectedWith === undefined) {
    expect(result).toEqual({
      code: EXIT_CODES.ok,
      stdout: `virtualmachine.tsvirt.io/${name} created (server dry run)\n`,
      stderr: '',
    });
    return;
  }
  const [head, ...rest] = lines(result.stderr);
  const causes = rest.map((l) => CAUSE_LINE.exec(l));
  const matching = causes.filter((c) => c?.[2]?.includes(spec.rejectedWith ?? '') === true);
  expect({
    code: result.code,
    head,
    allCauseLines: causes.every((c) => c !== null),
    fields: matching.map((c) => c?.[1]),
  }).toEqual({
    code: EXIT_CODES.failed,
    head: expect.stringMatching(/^error: /) as unknown,
    allCauseLines: true,
    fields: [spec.field],
  });
}

const verdict = (s: BadSpec): string => (s.rejectedWith === undefined ? 'accepts' : 'refuses');
const got = (s: BadSpec): Verdicts => {
  const v = results.get(s.file);
  if (v === undefined) throw new Error(`${s.file} was not tried`);
  return v;
};

describe('test/bad-specs on the real API server', () => {
  it('holds a bad spec or a good twin for every rule (see test/unit/api/rule-coverage)', () => {
    expect(SPECS.filter((s) => s.rejectedWith !== undefined).length).toBeGreaterThan(54);
  });

  it.each(SPECS.map((s) => [verdict(s), s.file, s] as const))('kubectl %s %s', (_, __, s) => {
    expectKubectl(got(s).kubectl, s, s.field);
  });

  const twins = SPECS.filter((s) => s.asVmi);
  it.each(twins.map((s) => [verdict(s), s.file, s] as const))(
    'kubectl %s %s as a VirtualMachineInstance',
    (_, __, s) => {
      const vmi = got(s).vmi;
      if (vmi === undefined) throw new Error(`${s.file}: no VMI verdict`);
      expectKubectl(vmi, s, vmiField(s.field));
    },
  );

  const vms = SPECS.filter((s) => !s.update && s.kind === VM_KIND);
  it.each(vms.map((s) => [verdict(s), s.file, s] as const))('kubectl virt create %s %s', (_, __, s) => {
    const virt = got(s).virt;
    if (virt === undefined) throw new Error(`${s.file}: no kubectl virt verdict`);
    expectVirt(virt, s);
  });
});
