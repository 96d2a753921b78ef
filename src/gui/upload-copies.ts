// The private temp copies of files the user sends from the page: each lives
// in its own 0700 directory from the upload until its transfer ends, and none
// outlives the bridge.
import { rm } from "node:fs/promises";

function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true }).catch(() => undefined);
}

export class UploadCopies {
  /** Temp dirs by the temp file's path, until the core announced the offer. */
  private readonly byPath = new Map<string, string>();
  /** Temp dirs by transfer id, until the transfer ended. */
  private readonly byId = new Map<string, string>();

  /** A copy is about to be offered. */
  expect(tempPath: string, tempDir: string): void {
    this.byPath.set(tempPath, tempDir);
  }

  /** The core offered the file at `tempPath` as `transferId` (file_offered, or sendFile's result). */
  offered(tempPath: string, transferId: string): void {
    const dir = this.byPath.get(tempPath);
    if (dir === undefined) return;
    this.byPath.delete(tempPath);
    this.byId.set(transferId, dir);
  }

  /** The offer could not be made: the copy goes now. */
  async failed(tempPath: string, tempDir: string): Promise<void> {
    this.byPath.delete(tempPath);
    await removeDir(tempDir);
  }

  /** The transfer ended: its copy goes. */
  drop(transferId: string): void {
    const dir = this.byId.get(transferId);
    if (dir === undefined) return;
    this.byId.delete(transferId);
    void removeDir(dir);
  }

  dropAll(): void {
    for (const id of [...this.byId.keys()]) this.drop(id);
  }

  /** Shutdown: every copy, offered or not. */
  async removeAll(): Promise<void> {
    const dirs = [...this.byId.values(), ...this.byPath.values()];
    this.byId.clear();
    this.byPath.clear();
    await Promise.all(dirs.map(removeDir));
  }
}
