/**
 * A named network namespace's identity: the device, inode and inode change
 * time of /run/netns/NAME. A name can be deleted and re-created, and one
 * namespace can carry two names (`ip netns attach`); a pending change belongs
 * to the namespace, not to the name. The inode alone is not enough: the
 * kernel hands a freed namespace's inode number to the next one made, but the
 * new namespace's nsfs inode is created afresh, with a new change time.
 */
import { statSync } from "node:fs";
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
