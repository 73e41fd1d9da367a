import { usageMessage } from '../../../cli/kube-command.js';

describe('usageMessage', () => {
  it('keeps the reason oclif puts on the line after "Parsing --flag"', () => {
    expect(usageMessage('Parsing --cpu \n\tExpected an integer but received: x\nSee more help with --help')).toBe(
      '--cpu: Expected an integer but received: x',
    );
  });

  it('leaves a one-line message as it is', () => {
    expect(usageMessage('Nonexistent flag: --bogus')).toBe('Nonexistent flag: --bogus');
  });
});
