// Modal dialogs on <dialog>.showModal() (the rest of the page is inert), with
// an explicit Tab focus trap, Escape to close, and focus returned to where it
// was when the dialog opened.
import { focusables } from "./dom.mjs";

const returnTo = new WeakMap<HTMLDialogElement, Element | null>();

export function setupDialog(d: HTMLDialogElement, onClose?: () => void): void {
  d.addEventListener("keydown", (ev) => {
    if (ev.key !== "Tab") return;
    const f = focusables(d);
    if (f.length === 0) return;
    const first = f[0]!;
    const last = f[f.length - 1]!;
    if (ev.shiftKey && document.activeElement === first) {
      ev.preventDefault();
      last.focus();
    } else if (!ev.shiftKey && document.activeElement === last) {
      ev.preventDefault();
      first.focus();
    }
  });
  for (const b of d.querySelectorAll<HTMLElement>("[data-close]")) b.addEventListener("click", () => closeDialog(d));
  d.addEventListener("close", () => {
    const back = returnTo.get(d);
    returnTo.delete(d);
    // The close event comes a task later: never take focus from where the user already went.
    const now = document.activeElement;
    const lost = now === null || now === document.body || d.contains(now);
    if (lost && back instanceof HTMLElement && back.isConnected) back.focus();
    onClose?.();
  });
}

export function openDialog(d: HTMLDialogElement, focus?: HTMLElement): void {
  if (!d.open) {
    returnTo.set(d, document.activeElement);
    d.showModal();
  }
  (focus ?? focusables(d)[0])?.focus();
}

export function closeDialog(d: HTMLDialogElement): void {
  if (d.open) d.close();
}
