import { CONSOLE_TAKEN_OVER, CONSOLE_UNAVAILABLE } from '../../../api/subresources.js';
import { closeMessage, splitAtEscape } from '../../../cli/console-session.js';

describe('console session', () => {
  it('detaches at Ctrl+] and sends what came before it', () => {
    expect(splitAtEscape(Buffer.from('ls\x1dmore'))).toEqual({ send: Buffer.from('ls'), detach: true });
    expect(splitAtEscape(Buffer.from('ls\n'))).toEqual({ send: Buffer.from('ls\n'), detach: false });
  });

  it('says why a console ended, and nothing for a normal close', () => {
    expect(closeMessage(1000, '')).toBeUndefined();
    expect(closeMessage(CONSOLE_TAKEN_OVER, 'x')).toBe('another console session on this VMI took over');
    expect(closeMessage(CONSOLE_UNAVAILABLE, 'The serial port closed')).toBe('The serial port closed');
    expect(closeMessage(1006, '')).toBe('the console closed (code 1006)');
  });
});
