/**
 * What `version` prints: the client version, and the server's tsvirt version when the cluster
 * answers (a note on stderr when it does not; still exit 0). Shared by the oclif command and the
 * fast path.
 */
import type { Connection } from './connection.js';
import { CLIENT_VERSION, serverVersionFromCrd } from './version-info.js';

export type VersionOutput = 'json' | 'yaml' | undefined;

/** The server's tsvirt version, or the one line saying why there is none. */
export async function fetchServerVersion(
  open: () => Promise<Connection>,
): Promise<{ version?: string; note?: string }> {
  try {
    const conn = await open();
    const { getVmCrd } = await import('../kube/cli-resources.js');
    return { version: serverVersionFromCrd(await getVmCrd(conn.client)) };
  } catch (err) {
    const { reportError } = await import('./errors.js');
    return { note: `Server Version: not available (${reportError(err, false).lines[0] ?? 'unknown error'})` };
  }
}

export async function versionText(server: string | undefined, output: VersionOutput): Promise<string> {
  if (output === undefined)
    return `Client Version: ${CLIENT_VERSION}\n${server === undefined ? '' : `Server Version: ${server}\n`}`;
  const { toJson, toYaml } = await import('./printers/objects.js');
  const doc = {
    clientVersion: { version: CLIENT_VERSION },
    ...(server === undefined ? {} : { serverVersion: { version: server } }),
  };
  return output === 'json' ? toJson(doc) : toYaml(doc);
}
