/**
 * cloud-init's NoCloud data for a VMI, as KubeVirt writes it (pkg/cloud-init/cloud-init.go): a
 * `cidata` volume holding user-data, meta-data (instance-id = the VMI's uid, local-hostname = the
 * VM's name or spec.hostname) and network-config when given. Pure; the ISO is written by
 * handler/cloudinit/iso.ts.
 */
import type { CloudInitNoCloud } from '../../api/types.js';

export const CIDATA_LABEL = 'cidata';

export interface NoCloudFiles {
  readonly 'user-data': string;
  readonly 'meta-data': string;
  readonly 'network-config'?: string;
}

/** Bad cloud-init input; `field` is relative to the volume (`userDataBase64`). */
export class NoCloudError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'NoCloudError';
  }
}

function decode(value: string, field: string): string {
  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1)
    throw new NoCloudError(field, 'is not base64');
  return Buffer.from(compact, 'base64').toString('utf8');
}

function pick(
  plain: string | undefined,
  encoded: string | undefined,
  names: readonly [string, string],
): string | undefined {
  if (plain !== undefined && encoded !== undefined)
    throw new NoCloudError(names[1], `set ${names[0]} or ${names[1]}, not both`);
  return encoded !== undefined ? decode(encoded, names[1]) : plain;
}

/** A YAML double-quoted scalar: JSON's string syntax is a subset of it. */
const yamlString = (s: string): string => JSON.stringify(s);

/** meta-data as a YAML document, in a stable order. */
export function renderMetaData(instanceId: string, hostname: string): string {
  return `instance-id: ${yamlString(instanceId)}\nlocal-hostname: ${yamlString(hostname)}\n`;
}

/**
 * The files of the NoCloud volume.
 * @throws NoCloudError naming the field when data is given twice or is not base64.
 */
export function noCloudFiles(source: CloudInitNoCloud, uid: string, hostname: string): NoCloudFiles {
  const userData = pick(source.userData, source.userDataBase64, ['userData', 'userDataBase64']) ?? '';
  const network = pick(source.networkData, source.networkDataBase64, ['networkData', 'networkDataBase64']);
  const base = { 'user-data': userData, 'meta-data': renderMetaData(uid, hostname) };
  return network === undefined ? base : { ...base, 'network-config': network };
}
