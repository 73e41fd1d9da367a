/**
 * A containerDisk's imagePullSecret, as the kubelet reads one: a Secret of type
 * kubernetes.io/dockerconfigjson whose `.dockerconfigjson` is the `{"auths": {...}}` document that
 * skopeo takes as an authfile unchanged. Pure.
 */
import { ImagePullError } from './cache.js';

export const DOCKER_CONFIG_JSON_TYPE = 'kubernetes.io/dockerconfigjson';
const KEY = '.dockerconfigjson';

interface SecretLike {
  readonly type?: string;
  readonly data?: Readonly<Record<string, string>>;
}

/** The authfile content of `secret`. @throws ImagePullError naming what is wrong with the Secret. */
export function authFileOf(secret: SecretLike | undefined, namespace: string, name: string): string {
  const where = `Secret ${namespace}/${name}`;
  if (secret === undefined) throw new ImagePullError(`${where} (the containerDisk's imagePullSecret) does not exist`);
  if (secret.type !== DOCKER_CONFIG_JSON_TYPE)
    throw new ImagePullError(`${where} is of type ${secret.type ?? 'Opaque'}, not ${DOCKER_CONFIG_JSON_TYPE}`);
  const encoded = secret.data?.[KEY];
  if (encoded === undefined) throw new ImagePullError(`${where} has no ${KEY} key`);
  const text = Buffer.from(encoded, 'base64').toString('utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ImagePullError(`${where}: ${KEY} is not JSON`);
  }
  if (typeof doc !== 'object' || doc === null || typeof (doc as { auths?: unknown }).auths !== 'object')
    throw new ImagePullError(`${where}: ${KEY} has no "auths" object`);
  return text;
}
