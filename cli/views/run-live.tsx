/**
 * Mounts the live view with ink (loaded only here: ink and react cost ~240 ms to import, so no
 * other command pays for them) and wires its keys to the lifecycle verbs.
 */
import { render } from 'ink';
import type { LeanClient } from '../../kube/lean-client.js';
import type { ListOptions } from '../../kube/lean-resources.js';
import { actOnEach, type Verb } from '../lifecycle.js';
import { LiveApp } from './live-app.js';

export async function runLiveApp(client: LeanClient, list: ListOptions): Promise<void> {
  const act = async (verb: Verb, namespace: string, name: string): Promise<string> => {
    const lines: string[] = [];
    await actOnEach(client, [name], {
      verb,
      namespace,
      wait: false,
      timeoutMs: 0,
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
    });
    return lines.join('; ');
  };
  const app = render(<LiveApp client={client} list={list} act={act} />);
  await app.waitUntilExit();
}
