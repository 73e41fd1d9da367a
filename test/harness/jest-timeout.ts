// setupFilesAfterEnv of the integration and e2e projects. jest reads `testTimeout` only from the
// root config, never from a project's (measured: a project's testTimeout 120000 still failed a
// 6 s test at 5000 ms), and these tiers wait on real processes.
import { jest } from '@jest/globals';

jest.setTimeout(120_000);
