/**
 * Is KVM usable on this node? /dev/kvm existing is not enough (FACTS.md: here it exists, is
 * root-only, and a KVM guest hangs), so the handler checks what QEMU's user may open and runs a
 * tiny guest under `-accel kvm` with a deadline. The decision is pure; the shell gathers facts.
 * `--emulation kvm|tcg` skips the probe.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DomainType } from './domain/host-facts.js';

export const EMULATION_MODES = ['auto', 'kvm', 'tcg'] as const;
export type EmulationMode = (typeof EMULATION_MODES)[number];

export interface KvmFacts {
  /** undefined when /dev/kvm does not exist. */
  readonly device: Readonly<{ mode: number; uid: number; gid: number }> | undefined;
  /** The gid of the `kvm` group, which libvirt's QEMU user belongs to (undefined: no such group). */
  readonly kvmGid: number | undefined;
  /** QEMU ran a guest under -accel kvm to its end within the deadline. */
  readonly probe: 'ran' | 'failed' | 'timeout' | 'skipped';
  readonly probeDetail?: string;
}

export interface EmulationChoice {
  readonly domainType: DomainType;
  readonly why: string;
}

function deviceProblem(facts: KvmFacts): string | undefined {
  const d = facts.device;
  if (d === undefined) return '/dev/kvm does not exist';
  const others = (d.mode & 0o006) === 0o006;
  const group = (d.mode & 0o060) === 0o060 && facts.kvmGid !== undefined && d.gid === facts.kvmGid;
  if (!others && !group)
    return `/dev/kvm (mode ${(d.mode & 0o777).toString(8)}, gid ${d.gid}) is not usable by QEMU's user`;
  return undefined;
}

/** KVM or TCG, and why, from the mode flag and the node's facts. Pure. */
export function chooseEmulation(mode: EmulationMode, facts: KvmFacts | undefined): EmulationChoice {
  if (mode === 'kvm') return { domainType: 'kvm', why: '--emulation kvm' };
  if (mode === 'tcg') return { domainType: 'qemu', why: '--emulation tcg' };
  if (facts === undefined) return { domainType: 'qemu', why: 'the libvirt driver runs no real guests' };
  const problem = deviceProblem(facts);
  if (problem !== undefined) return { domainType: 'qemu', why: problem };
  if (facts.probe !== 'ran')
    return {
      domainType: 'qemu',
      why: `a KVM test guest ${facts.probe === 'timeout' ? 'hung' : 'failed'}${facts.probeDetail === undefined ? '' : `: ${facts.probeDetail}`}`,
    };
  return { domainType: 'kvm', why: 'KVM ran a test guest' };
}

/**
 * A 64 KiB BIOS whose reset vector writes 1 to port 0xf4 (QEMU's isa-debug-exit: exit code 3)
 * and halts: a guest that ends at once when the accelerator really executes code.
 */
function probeBios(): Buffer {
  const bios = Buffer.alloc(65536, 0xf4);
  Buffer.from([0xb0, 0x01, 0xe6, 0xf4, 0xf4]).copy(bios, 0xfff0);
  return bios;
}

const DEBUG_EXIT_CODE = 3;

async function runProbe(qemu: string, timeoutMs: number): Promise<Pick<KvmFacts, 'probe' | 'probeDetail'>> {
  const dir = mkdtempSync(join(tmpdir(), 'tsvirt-kvm-probe-'));
  const bios = join(dir, 'probe.bin');
  writeFileSync(bios, probeBios());
  const args = [
    '-accel',
    'kvm',
    '-M',
    'pc',
    '-nodefaults',
    '-display',
    'none',
    '-m',
    '16',
    '-bios',
    bios,
    '-device',
    'isa-debug-exit,iobase=0xf4,iosize=0x04',
  ];
  try {
    return await new Promise((resolve) => {
      const child = spawn(qemu, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve({ probe: 'timeout', probeDetail: `no exit within ${timeoutMs} ms` });
      }, timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        resolve({ probe: 'failed', probeDetail: e.message });
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(
          code === DEBUG_EXIT_CODE
            ? { probe: 'ran' }
            : { probe: 'failed', probeDetail: stderr.trim().split('\n').at(-1) ?? `exit ${String(code)}` },
        );
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function kvmGroupId(groupFile: string): number | undefined {
  const line = groupFile.split('\n').find((l) => l.startsWith('kvm:'));
  const gid = Number(line?.split(':')[2]);
  return Number.isInteger(gid) ? gid : undefined;
}

/** Gathers the facts: stat /dev/kvm, find the kvm group, run the probe guest (only if the device looks usable). */
export async function probeKvm(qemu: string, timeoutMs: number, readGroupFile: () => string): Promise<KvmFacts> {
  let device: KvmFacts['device'];
  try {
    const st = statSync('/dev/kvm');
    device = { mode: st.mode, uid: st.uid, gid: st.gid };
  } catch {
    device = undefined;
  }
  const kvmGid = kvmGroupId(readGroupFile());
  const facts: KvmFacts = { device, kvmGid, probe: 'skipped' };
  if (deviceProblem(facts) !== undefined) return facts;
  return { ...facts, ...(await runProbe(qemu, timeoutMs)) };
}
