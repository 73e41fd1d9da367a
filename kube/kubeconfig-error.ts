/**
 * The one error both kubeconfig readers throw (kube/config.ts for the services, kube/kubeconfig.ts
 * for the CLI): the config is missing, names a context or cluster that does not exist, or asks for
 * auth tsvirt cannot do. `fix` says what to try; the CLI prints it as its hint line.
 */
export class KubeConfigError extends Error {
  override readonly name = 'KubeConfigError';
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
  }
}
