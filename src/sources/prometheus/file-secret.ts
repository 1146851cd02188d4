/**
 * A credential kept in a file (a projected service-account token, a mounted Secret's key),
 * read again whenever it may have changed: Kubernetes rotates projected tokens (by default
 * within an hour) by swapping the file behind a symlink, and a token cached forever would start
 * failing with 401 in the middle of a rollout.
 *
 * Before each use the file is `stat`ed (one syscall, no read): a change of its inode, size or
 * modification time re-reads it at once; so does the passing of `refreshSeconds` since the last
 * read (a file rewritten within the same second with the same size). The value is never put
 * into an error message: only the path and the system's error code are.
 */
import fs from 'node:fs';

export class FileSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileSecretError';
  }
}

export class FileSecret {
  #value: string | undefined;
  #stamp = '';
  #readAt = 0;

  constructor(
    /** The file's path (shown in messages). */
    readonly path: string,
    /** What it holds, for messages: "bearer token", "basic-auth password". */
    readonly what: string,
    private readonly refreshSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The file's current content, trimmed of surrounding whitespace (a trailing newline). */
  async value(): Promise<string> {
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(this.path);
    } catch (error) {
      throw this.#unreadable(error);
    }
    const stamp = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    if (this.#value !== undefined && stamp === this.#stamp && this.now() - this.#readAt < this.refreshSeconds * 1000) return this.#value;
    let text: string;
    try {
      text = await fs.promises.readFile(this.path, 'utf8');
    } catch (error) {
      throw this.#unreadable(error);
    }
    const value = text.trim();
    if (value === '') throw new FileSecretError(`the ${this.what} file ${this.path} is empty`);
    this.#value = value;
    this.#stamp = stamp;
    this.#readAt = this.now();
    return value;
  }

  /** The value last read, if any (for masking it wherever text is logged). */
  get current(): string | undefined {
    return this.#value;
  }

  /** Reads it now, synchronously (at start, so that a missing file stops the service with its name). */
  checkNow(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.path, 'utf8');
    } catch (error) {
      throw this.#unreadable(error);
    }
    if (text.trim() === '') throw new FileSecretError(`the ${this.what} file ${this.path} is empty`);
    // Known from the start, so that it is masked in logs; value() still re-reads on first use.
    this.#value = text.trim();
  }

  #unreadable(error: unknown): FileSecretError {
    const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'unreadable';
    return new FileSecretError(`cannot read the ${this.what} file ${this.path} (${code})`);
  }
}
