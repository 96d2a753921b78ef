// Rooms, the lobby and pairs. Pure bookkeeping; the relay decides what to send.
import { MessageType } from "../protocol/constants.js";
import { parseJsonObject } from "../protocol/pyjson.js";
import { isValidRoomCode } from "../protocol/control.js";
import type { Connection } from "./connection.js";

/**
 * The lobby: where clients that send no JOIN (every reference client) are
 * paired. The empty string is not a valid room code, so no JOIN can name it.
 */
export const LOBBY = "";

/** A JOIN frame is tiny; anything larger is not a valid JOIN. */
export const MAX_JOIN_FRAME = 1024;

/**
 * The room code of a JOIN payload (`{"type": 70, "room": "<code>"}`), or null
 * when the payload is not a valid JOIN. Unknown extra fields are ignored.
 */
export function parseJoin(payload: Uint8Array): string | null {
  if (payload.length > MAX_JOIN_FRAME) return null;
  const obj = parseJsonObject(payload);
  if (obj === null || obj["type"] !== MessageType.JOIN) return null;
  const room = obj["room"];
  return isValidRoomCode(room) ? room : null;
}

/** One session: two clients whose traffic is relayed to each other. */
export class Pair {
  /** Set once a KEY_EXCHANGE_RESPONSE was relayed; then everything (but forged control) is relayed. */
  complete = false;
  /** Who sent the first KEY_EXCHANGE_INIT in this pair (to know who stalls on a timeout). */
  initFrom: Connection | null = null;
  exchangeTimer: NodeJS.Timeout | null = null;

  constructor(
    /** Got INITIATE_KEY_EXCHANGE. */
    readonly initiator: Connection,
    readonly responder: Connection,
  ) {}

  other(c: Connection): Connection {
    return c === this.initiator ? this.responder : this.initiator;
  }

  /** The member expected to act next when the exchange stalls. */
  staller(): Connection {
    return this.initFrom === null ? this.initiator : this.other(this.initFrom);
  }

  stopTimer(): void {
    if (this.exchangeTimer !== null) {
      clearTimeout(this.exchangeTimer);
      this.exchangeTimer = null;
    }
  }
}

/** Per room (lobby included), the one registered client waiting for a partner, if any. */
export class WaitingRooms {
  private readonly waiting = new Map<string, Connection>();

  /** Removes and returns the client waiting in `room`. */
  take(room: string): Connection | undefined {
    const c = this.waiting.get(room);
    if (c !== undefined) this.waiting.delete(room);
    return c;
  }

  /** The client waiting in `room`, left in place. */
  peek(room: string): Connection | undefined {
    return this.waiting.get(room);
  }

  put(room: string, c: Connection): void {
    this.waiting.set(room, c);
  }

  /** Forgets `c` if it is the one waiting in its room. */
  remove(room: string, c: Connection): void {
    if (this.waiting.get(room) === c) this.waiting.delete(room);
  }

  get size(): number {
    return this.waiting.size;
  }
}
