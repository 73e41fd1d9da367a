/**
 * The logging shape kube/ writes to: pino's (`log.warn({ err }, 'Message')`), so components pass
 * their pino child logger straight in. kube/ never creates a logger of its own.
 */
export type KubeLogger = Readonly<{
  debug: (fields: object, message: string) => void;
  info: (fields: object, message: string) => void;
  warn: (fields: object, message: string) => void;
  error: (fields: object, message: string) => void;
}>;

/** A logger that drops everything, for callers that pass none. */
export const SILENT_LOGGER: KubeLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
