import { EXIT_CODES, EXIT_CODES_HELP } from '../../../cli/exit-codes.js';

describe('exit codes', () => {
  it('are pinned: scripts depend on them', () => {
    expect(EXIT_CODES).toEqual({ ok: 0, failed: 1, usage: 2 });
  });

  it('are all explained in --help', () => {
    for (const code of Object.values(EXIT_CODES)) expect(EXIT_CODES_HELP).toMatch(new RegExp(`^${code}  `, 'm'));
  });
});
