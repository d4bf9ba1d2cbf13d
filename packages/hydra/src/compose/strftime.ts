/** Python's datetime.strftime for the `${now:...}` resolver (local time). */
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const p = (n: number, w = 2) => String(n).padStart(w, '0');

export function strftime(fmt: string, d: Date = new Date()): string {
  return fmt.replace(/%([a-zA-Z%])/g, (m, c: string) => {
    switch (c) {
      case 'Y':
        return String(d.getFullYear());
      case 'y':
        return p(d.getFullYear() % 100);
      case 'm':
        return p(d.getMonth() + 1);
      case 'd':
        return p(d.getDate());
      case 'H':
        return p(d.getHours());
      case 'I':
        return p(d.getHours() % 12 || 12);
      case 'p':
        return d.getHours() < 12 ? 'AM' : 'PM';
      case 'M':
        return p(d.getMinutes());
      case 'S':
        return p(d.getSeconds());
      case 'f':
        return p(d.getMilliseconds() * 1000, 6);
      case 'j': {
        const start = new Date(d.getFullYear(), 0, 1);
        return p(Math.floor((d.getTime() - start.getTime()) / 86400000) + 1, 3);
      }
      case 'a':
        return DAYS[d.getDay()]!.slice(0, 3);
      case 'A':
        return DAYS[d.getDay()]!;
      case 'b':
        return MONTHS[d.getMonth()]!.slice(0, 3);
      case 'B':
        return MONTHS[d.getMonth()]!;
      case 'w':
        return String(d.getDay());
      case 'z': {
        const off = -d.getTimezoneOffset();
        return (off >= 0 ? '+' : '-') + p(Math.floor(Math.abs(off) / 60)) + p(Math.abs(off) % 60);
      }
      case 'Z':
        return Intl.DateTimeFormat().resolvedOptions().timeZone;
      case '%':
        return '%';
      default:
        return m;
    }
  });
}
