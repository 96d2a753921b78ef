// Two sessions that completed the real hybrid handshake with each other, in
// process (no relay): for unit tests of client parts that encrypt or decrypt.
import { Initiator, parseJsonObject, respond, type Session } from "../../src/protocol/index.js";

export function sessionPair(): { initiator: Session; responder: Session } {
  const i = new Initiator();
  const { response, session: responder } = respond(parseJsonObject(i.initMessage)!);
  const initiator = i.finish(parseJsonObject(response)!);
  i.dispose();
  return { initiator, responder };
}
