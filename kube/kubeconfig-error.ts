/**
 * The error of the kubeconfig reader (kube/kubeconfig.ts) and of credentials (kube/credentials.ts):
 * the config is missing, names a context or cluster that does not exist, asks for auth tsvirt
 * cannot do, or its exec plugin failed. `fix` says what to try; the CLI prints it as its hint line.
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
