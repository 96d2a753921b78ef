// Builds the parts of one client and connects their hooks (parts.ts). The
// parts call one another only later, on socket events, timers and commands,
// so each is handed the record while it is still being filled in.
import { SEND_INTERVAL_MS, prepareEphemeralKeys } from "../protocol/index.js";
import { DEFAULT_MAX_FILE_SIZE } from "../protocol/file/index.js";
import type { ClientOptions } from "./api.js";
import { CallManager } from "./calls.js";
import { ConnectionLifecycle } from "./connection-lifecycle.js";
import { Continuity } from "./continuity.js";
import { ClientContext, now, type ContextEmitters } from "./context.js";
import { EphemeralMode } from "./ephemeral-mode.js";
import { OFFER_TIMEOUT_MS, STALL_TIMEOUT_MS, limitsLifted } from "./flood-limits.js";
import { HandshakeFlow } from "./handshake-flow.js";
import { RESUME_KEEP_MS } from "./kept-transfers.js";
import { InboundLine } from "./inbound-line.js";
import { Nicknames } from "./nicknames.js";
import { PeerFeatures } from "./peer-features.js";
import { dispatchOuter } from "./outer-dispatch.js";
import { Outbox } from "./outbox.js";
import { queueInner, queueText, type ClientParts } from "./parts.js";
import { resolveReconnect } from "./backoff.js";
import { Reconnector } from "./reconnect.js";
import { RekeyFlow } from "./rekey-flow.js";
import { Sender } from "./sender.js";
import { SentTexts } from "./sent-texts.js";
import { SessionLife } from "./session-life.js";
import { Transfers } from "./transfers.js";
import { VerificationFlow } from "./verification-flow.js";
import { WritePath } from "./write-path.js";

type Building = { -readonly [K in keyof ClientParts]: ClientParts[K] };

export interface WiringHooks extends ContextEmitters {
  flushNotices(): void;
}

export function buildParts(opts: ClientOptions, downloadDir: string, hooks: WiringHooks): ClientParts {
  const ctx = new ClientContext(downloadDir, opts, hooks);
  const p = { ctx } as Building;
  /** A call is active: no dummies (WIRE-NOTES §12.5; set and cleared by the call manager). */
  let callPausesDummies = false;
  p.peerFeatures = new PeerFeatures();
  p.writePath = new WritePath(ctx, () => p.rekeyFlow.holdOutgoing);
  p.sender = new Sender(
    {
      ready: () => ctx.session !== null && ctx.conn !== null && !ctx.conn.closed && now() >= ctx.quietEndsAt,
      hold: () => p.rekeyFlow.holdOutgoing,
      // Reference: dummies only once the local user answered (WIRE-NOTES §12.5); paused during transfers (both sides).
      dummiesAllowed: () => ctx.dummyTraffic && p.verification.verified !== null && !p.transfers.active && !callPausesDummies,
      sendInner: (inner) => p.writePath.sendInner(inner),
      peerIsPqchat: () => p.peerFeatures.peerIsPqchat,
      dummy: () => p.peerFeatures.nextDummy(),
      // Ephemeral X25519 keys for the next messages, generated between ticks (WIRE-NOTES §6.2: one fresh key per message).
      afterTick: () => prepareEphemeralKeys(),
    },
    opts.tickMs ?? SEND_INTERVAL_MS,
  );
  p.rekeyFlow = new RekeyFlow(
    {
      emit: (n, payload) => ctx.emit(n, payload),
      error: (k, t) => ctx.report(k, t),
      queueRekey: (inner, onSent) => p.sender.push({ inner, rekey: true, onSent: onSent ? () => onSent() : undefined }),
      switched: () => p.writePath.wakeAll(),
      localVerified: () => p.verification.localVerified,
      endSession: (reason) => p.lifecycle.leave(reason),
    },
    opts.rekeyTimeoutMs,
  );
  p.transfers = buildTransfers(p, opts);
  p.calls = new CallManager(
    {
      secure: () => ctx.secure,
      queue: (inner, o) => {
        if (!ctx.session) return false;
        return p.sender.push({ inner, auto: o?.auto ?? false, onSent: o?.onSent ? () => o.onSent?.() : undefined });
      },
      sendNow: (inner) => p.writePath.sendRealtime(inner),
      emit: (n, payload) => ctx.emitAny(n, payload),
      error: (k, t) => ctx.report(k, t),
      pauseDummies: (paused) => {
        callPausesDummies = paused;
      },
    },
    opts.voiceCalls ?? false,
    { ringTimeoutMs: opts.callRingTimeoutMs },
  );
  buildSessionParts(p, opts);
  p.lifecycle = new ConnectionLifecycle(p, () => hooks.flushNotices());
  buildLifeParts(p, opts);
  return p;
}

function buildTransfers(p: Building, opts: ClientOptions): Transfers {
  const { ctx } = p;
  return new Transfers({
    emit: (n, payload) => ctx.emit(n, payload),
    error: (k, t) => ctx.report(k, t),
    queue: (obj, o) => queueInner(p, obj, o?.auto ?? false, o?.onSent, o?.unpaced),
    sendChunk: (id, index, data) => p.writePath.sendChunk(id, index, data),
    chunkSpace: (id, index, len) => p.writePath.chunkSpace(id, index, len),
    waitWritable: () => p.writePath.waitWritable(),
    chunkWritten: (data) => ctx.conn?.recycle(data),
    pauseReading: (r) => ctx.conn?.pauseReading(r),
    resumeReading: (r) => ctx.conn?.resumeReading(r),
    binaryBytesRead: () => ctx.conn?.binaryBytesRead ?? 0,
    readingPauses: () => ({ count: ctx.conn?.pauses ?? 0, now: ctx.conn?.readingPaused ?? false }),
    downloadDir: ctx.downloadDir,
    maxFileSize: opts.maxFileSize ?? DEFAULT_MAX_FILE_SIZE,
    gzipLevel: opts.gzipLevel,
    offerTimeoutMs: opts.offerTimeoutMs ?? OFFER_TIMEOUT_MS,
    stallTimeoutMs: opts.transferStallMs ?? STALL_TIMEOUT_MS,
    resumeKeepMs: opts.resumeKeepMs ?? RESUME_KEEP_MS,
  });
}

/** What lives across connections: the session-life hooks, the reconnect and the held texts (listeners in this order). */
function buildLifeParts(p: Building, opts: ClientOptions): void {
  p.life = new SessionLife();
  p.reconnect = new Reconnector(p.ctx, resolveReconnect(opts.reconnect), p.life, (target) => p.lifecycle.open(target), (reason) => p.lifecycle.leave(reason));
  p.outbox = new Outbox(p.ctx, (t) => queueText(p, t));
  p.life.add(p.reconnect);
  p.life.add(p.outbox);
}

/** The parts of an established session: names, modes, receipts, verification, the handshake, the inbound line. */
function buildSessionParts(p: Building, opts: ClientOptions): void {
  const { ctx } = p;
  const queue = (obj: Parameters<typeof queueInner>[1]): void => queueInner(p, obj);
  p.nicknames = new Nicknames(ctx, opts.nickname, queue);
  p.ephemeral = new EphemeralMode(ctx, queue, opts.ephemeralMs);
  p.sentTexts = new SentTexts(ctx);
  // The peer only honours NICKNAME_CHANGE once it verified us: (re)send ours then.
  p.verification = new VerificationFlow(ctx, p.sender, {
    peerNowTrustsUs: () => p.nicknames.sendOwn(),
    localVerified: () => p.continuity.onLocalVerified(),
    peerCarried: () => p.continuity.state === "carried",
    localAnswered: (answer) => p.outbox.localAnswer(answer),
  });
  p.continuity = new Continuity(
    ctx,
    { queue, carry: () => p.verification.carry(), settled: (carried) => p.transfers.resumeKept(carried) },
    opts.continuityTimeoutMs,
  );
  p.handshake = new HandshakeFlow(ctx, p);
  p.inbound = new InboundLine(ctx, {
    // SPEC §11.1 "in progress", narrower than the reference's WIRE-NOTES §12.2 (flood-limits.ts).
    bypass: () => limitsLifted({ transferInProgress: p.transfers.inProgress, rekeyInProgress: p.rekeyFlow.inProgress, callActive: p.calls.bypass }),
    onOuter: (type, obj) => dispatchOuter(p, type, obj),
    onChunk: (id, index, data) => p.transfers.onChunk(id, index, data),
    workerPool: () => p.writePath.workerPool(),
  });
}
