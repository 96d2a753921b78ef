// Limits and defaults shared by the user interfaces (terminal, JSON API, GUI
// bridge and page). No imports and no Node built-ins: the GUI page loads this
// compiled module.

/** The relay a client view connects to when none is named. */
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 16384;

/**
 * Past this many bytes of events waiting for a slow reader (the JSON API's
 * stdout, a GUI page's WebSocket), the view stops the client reading from the
 * relay (TCP back-pressure to the relay and the peer) instead of queueing
 * without bound or dropping events ...
 */
export const OUTPUT_HIGH_WATER = 2 * 1024 * 1024;
/** ... and lets it read again once the backlog is below this. */
export const OUTPUT_LOW_WATER = 512 * 1024;

/** Call audio waiting in a WebSocket beyond this is dropped, never queued (a late packet is worse than none). */
export const AUDIO_BACKLOG = 64 * 1024;

/** How long a leaving view waits for CLIENT_DISCONNECT and the socket's close before it gives up. */
export const DISCONNECT_TIMEOUT_MS = 3000;
