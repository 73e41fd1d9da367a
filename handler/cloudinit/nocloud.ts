/**
 * cloud-init's NoCloud data for a VMI, as KubeVirt writes it (pkg/cloud-init/cloud-init.go): a
 * `cidata` volume holding user-data, meta-data (instance-id = the VMI's uid, local-hostname = the
 * VM's name or spec.hostname) and network-config when given. User data or network config kept in
 * a Secret (secretRef, networkDataSecretRef) is read by the shell when it makes the ISO and put
 * in by withSecretData, with KubeVirt's keys (userdata or userData, networkdata or networkData).
 * Pure; the ISO is written by handler/cloudinit/iso.ts.
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

/** The Secrets (names in the VMI's namespace) a volume's user data and network config come from. */
export interface NoCloudSecretRefs {
  readonly userData?: string;
  readonly networkData?: string;
}

/** The keys KubeVirt reads, first match wins (pkg/cloud-init/cloud-init.go). */
export const USER_DATA_KEYS = ['userdata', 'userData'] as const;
export const NETWORK_DATA_KEYS = ['networkdata', 'networkData'] as const;

/** A Secret as the API server returns it: `data` values are base64. */
export interface SecretData {
  readonly data?: Readonly<Record<string, string>>;
}

function refuseWithSecret(inline: boolean, ref: string | undefined, field: string, others: string): void {
  if (inline && ref !== undefined) throw new NoCloudError(field, `set one of ${others} or ${field}, not several`);
}

/** The Secrets `source` names. @throws NoCloudError when a Secret and inline data are both given. */
export function noCloudSecretRefs(source: CloudInitNoCloud): NoCloudSecretRefs {
  const userData = source.secretRef?.name;
  const networkData = source.networkDataSecretRef?.name;
  refuseWithSecret(
    source.userData !== undefined || source.userDataBase64 !== undefined,
    userData,
    'secretRef',
    'userData, userDataBase64',
  );
  refuseWithSecret(
    source.networkData !== undefined || source.networkDataBase64 !== undefined,
    networkData,
    'networkDataSecretRef',
    'networkData, networkDataBase64',
  );
  return {
    ...(userData === undefined ? {} : { userData }),
    ...(networkData === undefined ? {} : { networkData }),
  };
}

/**
 * The files of the NoCloud volume; user-data is empty until withSecretData fills it when the
 * volume names a secretRef.
 * @throws NoCloudError naming the field when data is given twice or is not base64.
 */
export function noCloudFiles(source: CloudInitNoCloud, uid: string, hostname: string): NoCloudFiles {
  noCloudSecretRefs(source);
  const userData = pick(source.userData, source.userDataBase64, ['userData', 'userDataBase64']) ?? '';
  const network = pick(source.networkData, source.networkDataBase64, ['networkData', 'networkDataBase64']);
  const base = { 'user-data': userData, 'meta-data': renderMetaData(uid, hostname) };
  return network === undefined ? base : { ...base, 'network-config': network };
}

/**
 * The value under the first of `keys` in `secret`, decoded. The message names the Secret and the
 * keys, never the content.
 * @throws NoCloudError on `field` when the Secret or every key is missing.
 */
export function secretValue(
  secret: SecretData | undefined,
  where: { readonly field: string; readonly namespace: string; readonly name: string },
  keys: ReadonlyArray<string>,
): string {
  const id = `Secret ${where.namespace}/${where.name}`;
  if (secret === undefined) throw new NoCloudError(where.field, `${id} does not exist`);
  const key = keys.find((k) => secret.data?.[k] !== undefined);
  const encoded = key === undefined ? undefined : secret.data?.[key];
  if (encoded === undefined) throw new NoCloudError(where.field, `${id} has no key ${keys.join(' or ')}`);
  return Buffer.from(encoded, 'base64').toString('utf8');
}

/** `files` with user-data and network-config taken from the Secrets' values where given. */
export function withSecretData(
  files: NoCloudFiles,
  values: { readonly userData?: string; readonly networkData?: string },
): NoCloudFiles {
  return {
    ...files,
    ...(values.userData === undefined ? {} : { 'user-data': values.userData }),
    ...(values.networkData === undefined ? {} : { 'network-config': values.networkData }),
  };
}
