/**
 * CEL rule text shared by the schemas. Each builder returns a rule whose message says what is wrong
 * and how to fix it; the API server puts the field's full path in front of the message, so messages
 * name fields relative to the node the rule sits on.
 */
import { rule, type ValidationRule } from './json-schema.js';
import { DNS_LABEL_PATTERN as DNS_LABEL } from '../object-names.js';

/** A quantity field is int-or-string (CEL `dyn`); `string()` makes both forms a quantity string. */
function asQuantity(expr: string): string {
  return `quantity(string(${expr}))`;
}

function isQuantity(expr: string): string {
  return `isQuantity(string(${expr}))`;
}

/** `self >= min`, for integers. */
export function atLeast(min: number, field: string): ValidationRule {
  return rule(`self >= ${min}`, `${field} must be at least ${min}; set it to ${min} or more`);
}

/** A quantity at least `min` (a quantity string such as `1Mi`). Malformed values are the pattern's to report. */
export function quantityAtLeast(min: string, field: string): ValidationRule {
  return rule(
    `!${isQuantity('self')} || ${asQuantity('self')}.compareTo(quantity('${min}')) >= 0`,
    `${field} must be at least ${min}; use a quantity such as 128Mi or 1Gi`,
  );
}

export function quantityPositive(field: string): ValidationRule {
  return rule(
    `!${isQuantity('self')} || ${asQuantity('self')}.isGreaterThan(quantity('0'))`,
    `${field} must be greater than zero; use a quantity such as 1, 500m or 1Gi`,
  );
}

/** On a ResourceRequirements node: requests.<resource> <= limits.<resource> when both are set. */
export function requestWithinLimit(resource: 'cpu' | 'memory'): ValidationRule {
  const request = `self.requests.${resource}`;
  const limit = `self.limits.${resource}`;
  return rule(
    `!has(self.requests) || !has(self.limits) || !has(${request}) || !has(${limit}) || ` +
      `!${isQuantity(request)} || !${isQuantity(limit)} || ${asQuantity(request)}.compareTo(${asQuantity(limit)}) <= 0`,
    `requests.${resource} must not exceed limits.${resource}; lower the request or raise the limit`,
    `.requests.${resource}`,
  );
}

export function dnsLabel(what: string): ValidationRule {
  return rule(
    `size(self) <= 63 && self.matches('${DNS_LABEL}')`,
    `${what} must be a DNS label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit`,
  );
}

/** On a list of objects with a `name`: no two share one. */
export function uniqueNames(list: string, item: string): ValidationRule {
  return rule(
    'self.all(x, self.exists_one(y, y.name == x.name))',
    `${list} must have unique names; rename or remove the ${item} whose name appears twice`,
  );
}

/**
 * An absolute host path with no empty, `.` or `..` segments: the handler hands it to libvirt as is,
 * so `/a/../etc/shadow` must not sneak past a reviewer who reads only the prefix.
 */
export function absolutePath(field: string): ValidationRule {
  return rule(
    "self.startsWith('/') && !self.endsWith('/') && !self.contains('//') && !self.matches('(^|/)[.][.]?(/|$)')",
    `${field} must be an absolute path without empty, '.' or '..' segments, such as /var/lib/tsvirt/disk.img`,
  );
}

/** Inline cloud-init data is limited to 2048 bytes, as KubeVirt limits it; larger data belongs on a disk. */
export const CLOUD_INIT_MAX_BYTES = 2048;

/** On an object: its optional string `field` holds at most `bytes` UTF-8 bytes. */
export function maxBytes(bytes: number, field: string): ValidationRule {
  return rule(
    `!has(self.${field}) || size(bytes(self.${field})) <= ${bytes}`,
    `${field} may hold at most ${bytes} bytes inline; shorten it or put the data on a disk volume`,
    `.${field}`,
  );
}

/** On an object: its optional base64 `field` is at most `chars` long (2048 bytes encode to 2732). */
export function maxBase64(chars: number, field: string): ValidationRule {
  return rule(
    `!has(self.${field}) || size(self.${field}) <= ${chars}`,
    `${field} may encode at most ${CLOUD_INIT_MAX_BYTES} bytes (${chars} base64 characters); shorten it`,
    `.${field}`,
  );
}

/** On an object: exactly one of `fields` is set. */
export function exactlyOne(fields: ReadonlyArray<string>, message: string): ValidationRule {
  const present = fields.map((f) => `has(self.${f})`).join(', ');
  return rule(`[${present}].filter(x, x).size() == 1`, message);
}

/**
 * On a CRD's root: metadata.name is a DNS label. The domain, the launcher Pod and the guest's
 * hostname derive from it, and a DNS subdomain (what Kubernetes alone checks) fits none of them.
 * No fieldPath: the API server refuses one that points into metadata, so the message names it.
 */
export function metadataNameIsDnsLabel(kind: string): ValidationRule {
  return rule(
    `size(self.metadata.name) <= 63 && self.metadata.name.matches('${DNS_LABEL}')`,
    `metadata.name must be a DNS label (at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit); rename the ${kind}`,
  );
}
