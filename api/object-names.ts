/**
 * The rule a VM's (and so a VMI's) name follows: a DNS label, as the CRDs check with CEL
 * (api/crds/cel.ts) and the CLI checks before it sends anything (cli/targets.ts).
 */
export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const DNS_LABEL_MAX = 63;

const DNS_LABEL = new RegExp(DNS_LABEL_PATTERN);

/** True when `name` is a DNS label: at most 63 lowercase letters, digits and '-', alphanumeric at both ends. */
export function isDnsLabel(name: string): boolean {
  return name.length <= DNS_LABEL_MAX && DNS_LABEL.test(name);
}
