// What the terminal client printed, kept so that a disappearing message can
// be taken off the screen: on a terminal the screen and its scrollback are
// wiped and what remains is drawn again (bounded: the last MAX_GROUPS
// printed groups; older lines do not come back). On pipes nothing printed can
// be taken back, so only a notice is printed there.
//
// Only what this process printed is kept, in memory, and a disappearing
// message's lines are dropped from it the moment it expires.

export const MAX_GROUPS = 1000;

interface Group {
  /** The message these lines show (a disappearing one), or null. */
  id: string | null;
  lines: string[];
}

export class Transcript {
  private groups: Group[] = [];

  add(lines: string[], id: string | null = null): void {
    if (lines.length === 0) return;
    this.groups.push({ id, lines });
    if (this.groups.length > MAX_GROUPS) this.groups.splice(0, this.groups.length - MAX_GROUPS);
  }

  /** Drops the lines of message `id`; false when they are not (or no longer) kept. */
  remove(id: string): boolean {
    const before = this.groups.length;
    this.groups = this.groups.filter((g) => g.id !== id);
    return this.groups.length !== before;
  }

  lines(): string[] {
    return this.groups.flatMap((g) => g.lines);
  }

  /** Forgets everything (the panic key wiped the screen). */
  clear(): void {
    this.groups = [];
  }
}
