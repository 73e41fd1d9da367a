/**
 * Conditions as Kubernetes keeps them: one per type, and `lastTransitionTime` moves only when the
 * status flips (a reason or message change alone keeps it), so "Ready since" means what it says.
 * Pure: the caller hands in `now`.
 */
import { CONDITION_TYPES } from './names.js';
import type { Condition, ConditionStatus } from './types.js';

/** What a caller decides about a condition; the times are filled in by {@link setCondition}. */
export type ConditionInput = Readonly<{ type: string; status: ConditionStatus; reason?: string; message?: string }>;

/** RFC 3339 with second precision, as metav1.Time serialises. */
export function rfc3339(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

export function findCondition(conditions: ReadonlyArray<Condition> | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function hasCondition(
  conditions: ReadonlyArray<Condition> | undefined,
  type: string,
  status: ConditionStatus,
  reason?: string,
): boolean {
  const c = findCondition(conditions, type);
  return c !== undefined && c.status === status && (reason === undefined || c.reason === reason);
}

function build(input: ConditionInput, lastTransitionTime: string): Condition {
  return {
    type: input.type,
    status: input.status,
    ...(input.reason === undefined ? {} : { reason: input.reason }),
    ...(input.message === undefined ? {} : { message: input.message }),
    lastTransitionTime,
  };
}

/**
 * Returns `conditions` with `input` set in place of any condition of the same type. The
 * transition time is kept from the old condition when the status did not change.
 */
export function setCondition(
  conditions: ReadonlyArray<Condition> | undefined,
  input: ConditionInput,
  now: Date,
): ReadonlyArray<Condition> {
  const list = conditions ?? [];
  const old = findCondition(list, input.type);
  const keepTime = old !== undefined && old.status === input.status && old.lastTransitionTime !== undefined;
  const next = build(input, keepTime ? (old.lastTransitionTime ?? rfc3339(now)) : rfc3339(now));
  if (old === undefined) return [...list, next];
  return list.map((c) => (c.type === input.type ? next : c));
}

/** Returns `conditions` without a condition of `type`. */
export function removeCondition(
  conditions: ReadonlyArray<Condition> | undefined,
  type: string,
): ReadonlyArray<Condition> {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/**
 * The domain type a VMI runs with, as its handler reports it in the SoftwareEmulation condition:
 * `qemu` (TCG emulation) when True, `kvm` when False, undefined before the handler has said.
 * The condition is the one record of it, written with the Running status, so no second write
 * (an annotation) is needed per start.
 */
export function vmiEmulation(conditions: ReadonlyArray<Condition> | undefined): 'kvm' | 'qemu' | undefined {
  const c = findCondition(conditions, CONDITION_TYPES.softwareEmulation);
  if (c === undefined) return undefined;
  return c.status === 'True' ? 'qemu' : c.status === 'False' ? 'kvm' : undefined;
}
