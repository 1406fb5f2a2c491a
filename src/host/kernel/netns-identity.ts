/**
 * A named network namespace's identity: the device, inode and inode change
 * time of /run/netns/NAME. A name can be deleted and re-created, and one
 * namespace can carry two names (`ip netns attach`); a pending change belongs
 * to the namespace, not to the name. The inode alone is not enough: the
 * kernel hands a freed namespace's inode number to the next one made, but the
 * new namespace's nsfs inode is created afresh, with a new change time.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export const netnsPath = (name: string) => `/run/netns/${name}`;

/** `DEV-INO-CTIMENS` of the namespace NAME names now; undefined when no such name exists. */
export function netnsIdentity(name: string): string | undefined {
  try {
    const st = statSync(netnsPath(name), { bigint: true });
    return `${st.dev}-${st.ino}-${st.ctimeNs}`;
  } catch {
    return undefined;
  }
}

/** The directory holding the apply lock and the checkpoint of one namespace, shared by all its names. */
export function transactionDirOf(stateRoot: string, identity: string): string {
  return join(stateRoot, `netns-id-${identity}`);
}

/** The identities of every namespace /run/netns names now. */
export function liveNetnsIdentities(): Set<string> {
  let names: string[] = [];
  try {
    names = readdirSync("/run/netns");
  } catch {
    // no named namespaces at all
  }
  return new Set(names.map(netnsIdentity).filter((id): id is string => id !== undefined));
}

/**
 * Transaction directories of namespaces that no longer exist and that no live
 * process still uses (`inUse` says whether a directory's pending change still
 * has its watchdog, which cleans up after itself). Such a directory can never
 * match a new namespace (its change time differs), so it is only clutter.
 */
export function staleTransactionDirs(stateRoot: string, inUse: (dir: string) => boolean): string[] {
  let entries: string[] = [];
  try {
    entries = readdirSync(stateRoot).filter((e) => e.startsWith("netns-id-"));
  } catch {
    return [];
  }
  if (!entries.length) return [];
  const live = liveNetnsIdentities();
  return entries
    .filter((e) => !live.has(e.slice("netns-id-".length)))
    .map((e) => join(stateRoot, e))
    .filter((dir) => !inUse(dir));
}
