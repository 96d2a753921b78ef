// Why the terminal client refused a line the user typed (shown as "! <message>").

export type TuiCommandErrorKind = "usage" | "unknown_command" | "no_offer" | "ambiguous_offer" | "no_session";

export class TuiCommandError extends Error {
  constructor(
    readonly kind: TuiCommandErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "TuiCommandError";
  }
}
