import { describeScope } from '../../../cli/commands/describe.js';
import { UsageError } from '../../../cli/errors.js';

describe('describeScope', () => {
  it('takes names with or without the resource word, as kubectl describe does', () => {
    expect(describeScope(['web'], undefined)).toEqual({ names: ['web'] });
    expect(describeScope(['vm', 'web', 'db'], undefined)).toEqual({ names: ['web', 'db'] });
  });

  it('covers every VM for `vms` or `vm` alone, and those -l selects', () => {
    expect(describeScope(['vms'], undefined)).toEqual({ names: [], selector: '' });
    expect(describeScope(['vm'], undefined)).toEqual({ names: [], selector: '' });
    expect(describeScope(['vms'], 'tier=web')).toEqual({ names: [], selector: 'tier=web' });
    expect(describeScope([], 'tier=web')).toEqual({ names: [], selector: 'tier=web' });
  });

  it('refuses no target at all, and names together with -l', () => {
    expect(() => describeScope([], undefined)).toThrow(UsageError);
    expect(() => describeScope(['web'], 'tier=web')).toThrow('name VMs or select them with -l, not both');
  });
});
