// The terminal client's screen: the conversation scrolling above a status
// area (the connection line, then up to three transfers) and the input line
// at the bottom. On anything but a terminal, lines are printed plainly and
// there is no status area.
import type { Interface } from "node:readline";
import { visibleLength } from "./format.js";

export type Output = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** Clears the screen and its scrollback, cursor home (the panic key wipes the conversation). */
const WIPE = "\x1b[2J\x1b[3J\x1b[H";

export class Screen {
  private drawn = false;
  /** Rows of the status area as last drawn. */
  private statusRows = 1;
  private lastStatus: string[] = [];
  private statusTimer: NodeJS.Timeout | null = null;
  /** Set once the client is leaving: no status area is drawn any more. */
  closing = false;

  constructor(
    private readonly out: Output,
    private readonly rl: Interface,
    readonly interactive: boolean,
    /** The status area's lines, computed afresh for each redraw. */
    private readonly statusLines: (columns: number) => string[],
  ) {}

  columns(): number {
    return this.out.columns && this.out.columns > 20 ? this.out.columns : 80;
  }

  /** Prints lines above the status line (terminal) or as plain lines (otherwise). */
  print(lines: string[], afterEnterRows?: number): void {
    if (!this.interactive || (this.closing && !this.drawn)) {
      if (lines.length > 0) this.out.write(lines.join("\n") + "\n");
      return;
    }
    // Cursor to the start of the status line, clear it and everything below,
    // write the new lines, the status line, then let readline redraw the input.
    let up = 0;
    if (this.drawn) up = (afterEnterRows ?? this.rl.getCursorPos().rows) + this.statusRows;
    let s = (up > 0 ? `\x1b[${up}A` : "") + "\r\x1b[J";
    for (const l of lines) s += l + "\x1b[K\n";
    if (this.closing) {
      this.out.write(s);
      this.drawn = false;
      return;
    }
    const status = this.statusLines(this.columns());
    this.statusRows = status.length;
    this.lastStatus = status;
    s += status.join("\n") + "\n";
    this.out.write(s);
    this.drawn = true;
    // The cursor is now at the start of a fresh row, where the input line
    // belongs. readline's redraw first moves up by the rows it believes the
    // cursor is below the prompt (`prevRows`, stale after a paste); it is 0 here.
    (this.rl as unknown as { prevRows?: number }).prevRows = 0;
    this.rl.prompt(true);
  }

  /** Rows the line just entered took (prompt included), for the redraw after Enter. */
  enteredRows(line: string): number | undefined {
    return this.interactive ? Math.floor(visibleLength(this.rl.getPrompt() + line) / this.columns()) + 1 : undefined;
  }

  /** Redraws the status line soon (at most ten times a second). */
  refreshStatus(): void {
    if (!this.interactive || this.statusTimer || this.closing) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = null;
      if (!this.closing) this.print([]);
    }, 100);
  }

  /** The client is leaving: no more status redraws. */
  close(): void {
    this.closing = true;
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.statusTimer = null;
  }

  /** Wipes the conversation from the screen and its scrollback (terminal only). */
  wipe(): void {
    if (!this.interactive) return;
    this.out.write(WIPE);
    this.drawn = false;
  }

  /**
   * The terminal changed size. Terminals that reflow (tmux, GNOME, kitty…)
   * re-wrap the status lines we drew for the old width, so they may now take
   * more rows; count those at the new width, then draw everything afresh.
   * (readline has already redrawn the input line by now.)
   */
  readonly onResize = (): void => {
    if (!this.drawn || this.closing) return;
    const cols = this.columns();
    this.statusRows = this.lastStatus.reduce((rows, l) => rows + Math.max(1, Math.ceil(visibleLength(l) / cols)), 0);
    this.print([]);
  };
}
