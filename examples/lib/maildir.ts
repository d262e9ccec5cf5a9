// Maildir delivery (https://cr.yp.to/proto/maildir.html): write into tmp/, fsync, rename into
// new/, so a reader never sees half a message.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** The Maildir folder of one mailbox under `root`. */
export function mailboxDir(root: string, address: string): string {
  return join(root, address.toLowerCase().replace(/[^a-z0-9@._+-]/g, '_'));
}

/** Stores one message (a fresh stream each call) in `address`'s Maildir; resolves when durable. */
export async function deliverToMaildir(
  root: string,
  address: string,
  content: () => AsyncIterable<Uint8Array>,
): Promise<string> {
  const dir = mailboxDir(root, address);
  await Promise.all(['tmp', 'new', 'cur'].map((sub) => mkdir(join(dir, sub), { recursive: true })));
  const name = `${Date.now()}.${randomUUID()}.smtpkit`;
  await pipeline(content(), createWriteStream(join(dir, 'tmp', name), { flush: true }));
  await rename(join(dir, 'tmp', name), join(dir, 'new', name));
  return join(dir, 'new', name);
}

/** The messages in `address`'s Maildir new/ folder, oldest first. */
export async function readMaildir(root: string, address: string): Promise<string[]> {
  const dir = join(mailboxDir(root, address), 'new');
  const names = await readdir(dir).catch(() => []);
  return Promise.all(names.sort().map((name) => readFile(join(dir, name), 'utf8')));
}
